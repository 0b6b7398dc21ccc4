"""The rules package's parts, directly: the managed block, @imports, where a scoped rule's
AGENTS.md goes."""

from __future__ import annotations

from agentmd.rules import imports, markers
from agentmd.rules.build import folder_for
from agentmd.rules.tree import Tree


def test_with_block_adds_then_replaces_only_the_block():
    text = "# Mine\n\nkeep\n"
    once = markers.with_block(text, "@AGENTS.md\n")
    assert (
        once == "# Mine\n\nkeep\n\n"
        "<!-- agentmd:rules:start -->\n@AGENTS.md\n<!-- agentmd:rules:end -->\n"
    )
    edited = "top\n" + once + "bottom"
    assert markers.with_block(edited, "x\n") == (
        "top\n# Mine\n\nkeep\n\n<!-- agentmd:rules:start -->\nx\n<!-- agentmd:rules:end -->\nbottom"
    )
    assert markers.outside(edited) == "top\n# Mine\n\nkeep\n\nbottom"


def test_with_block_keeps_crlf_and_a_missing_final_newline():
    assert markers.with_block("a\r\nb", "x\n") == (
        "a\r\nb\r\n\r\n<!-- agentmd:rules:start -->\r\nx\r\n<!-- agentmd:rules:end -->\r\n"
    )


def test_imports_skip_code_emails_and_resolve_relative_to_the_file():
    text = (
        "See @docs/a.md and @../up.md, mail me@example.com\n"
        "`@not/this.md`\n"
        "```\n@nor/this.md\n```\n"
        "@~/.claude/mine.md\n"
    )
    found = imports.imports_of(text, "pkg/CLAUDE.md")
    assert [(i.line, i.target, i.path) for i in found] == [
        (1, "docs/a.md", "pkg/docs/a.md"),
        (1, "../up.md", "up.md"),
        (6, "~/.claude/mine.md", None),
    ]


def test_a_scoped_rule_goes_to_the_deepest_existing_folder_its_globs_share(tmp_path):
    (tmp_path / "src/api/v1").mkdir(parents=True)
    tree = Tree(tmp_path, files=[])
    assert folder_for(tree, ("src/api/**/*.py",)) == "src/api"
    assert folder_for(tree, ("src/api/v1/*.py", "src/api/v2/*.py")) == "src/api"
    assert folder_for(tree, ("src/api/v1/handlers.py",)) == "src/api/v1"
    assert folder_for(tree, ("src/web/**",)) == "src"
    assert folder_for(tree, ("*.py",)) == ""


def test_rebase_rewrites_real_imports_only():
    text = "See @docs/style.md, ask @davidism, mail a@b.org\n"
    moved = imports.rebase(
        text, "web/CLAUDE.md", ".claude/rules/web.md", {"web/docs/style.md"}.__contains__
    )
    assert moved == "See @../../web/docs/style.md, ask @davidism, mail a@b.org\n"
    assert imports.rebase(text, "web/CLAUDE.md", "web/AGENTS.md") == text
