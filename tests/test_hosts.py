"""The hosts' load models (docs/hosts.md), each rule pinned on a small tree, through
`agentmd tokens --as` and `agentmd check`."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import cli

LINE = "x" * 63 + "\n"  # 64 bytes a line: byte 32,768 falls at the start of line 513


def write(repo: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = repo / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def loads(repo: Path, host: str, path: str) -> list[tuple[str, str]]:
    result = cli(repo, "tokens", "--as", host, path, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    return [(f["path"], f["why"]) for f in data["loads"][0]["files"]]


def test_check_names_the_line_where_codex_cuts_a_40_kib_agents_md(repo):
    assert cli(repo, "init").exit_code == 0
    write(repo, {"AGENTS.md": LINE * 640})
    result = cli(repo, "check")
    assert (
        "AGENTS.md:513:1: error host-cut: Codex stops reading here: the AGENTS.md files it loads "
        "come to 40,960 bytes, over its project_doc_max_bytes of 32,768 (32 KiB); from this line "
        "on (8,192 bytes) nothing reaches it\n"
        "  hint: move detail into scoped rules (.agents/rules/ with applies_to, then 'agentmd "
        "rules build'), or raise project_doc_max_bytes in .codex/config.toml\n"
    ) in result.stdout
    assert result.exit_code == 1


def test_codex_spends_one_budget_root_first_so_the_nested_file_is_cut(repo):
    write(repo, {"AGENTS.md": LINE * 500, "src/AGENTS.md": LINE * 20, "src/app.py": ""})
    result = cli(repo, "tokens", "--as", "codex", "src/app.py")
    assert result.stdout == (
        "Codex working on src/app.py loads:\n"
        "   10,667  AGENTS.md  (at the root)\n"
        "      256  src/AGENTS.md  (in src/, on the way down, cut at line 13)\n"
        "   10,923  total\n"
    )
    assert loads(repo, "codex", "README.md") == [("AGENTS.md", "at the root")]


def test_codex_reads_agents_override_md_instead_and_skips_empty_files(repo):
    write(repo, {"AGENTS.md": "base\n", "AGENTS.override.md": "mine\n", "src/AGENTS.md": "\n"})
    assert loads(repo, "codex", "src/x.py") == [("AGENTS.override.md", "at the root")]


def test_nested_agents_md_files_load_on_the_way_to_the_path(repo):
    write(repo, {"AGENTS.md": "a\n", "pkg/AGENTS.md": "b\n", "pkg/sub/AGENTS.md": "c\n"})
    (repo / "pkg/sub/mod.py").write_text("")
    for host in ("codex", "cursor", "copilot", "windsurf", "cline"):
        assert [p for p, _ in loads(repo, host, "pkg/sub/mod.py")] == [
            "AGENTS.md",
            "pkg/AGENTS.md",
            "pkg/sub/AGENTS.md",
        ], host
        assert [p for p, _ in loads(repo, host, "other/x.py")] == ["AGENTS.md"], host


def test_claude_follows_imports_five_hops_and_a_cycle_ends(repo):
    chain = {"CLAUDE.md": "@docs/1.md\n"}
    for n in range(1, 8):
        chain[f"docs/{n}.md"] = f"hop {n}\n@{n + 1}.md\n"
    chain["docs/cycle-a.md"] = "a @cycle-b.md\n"
    chain["docs/cycle-b.md"] = "b @cycle-a.md @./cycle-b.md\n"
    chain["CLAUDE.md"] += "and @docs/cycle-a.md, not `@docs/7.md` in code\n"
    write(repo, chain)
    result = cli(repo, "tokens", "--as", "claude", "src/x.py")
    assert result.exit_code == 0
    assert [line.split()[1] for line in result.stdout.splitlines()[1:-2]] == [
        "CLAUDE.md",
        "docs/1.md",
        "docs/2.md",
        "docs/3.md",
        "docs/4.md",
        "docs/5.md",
        "docs/cycle-a.md",
        "docs/cycle-b.md",
    ]
    assert result.stdout.splitlines()[-1] == (
        "        -  docs/6.md  (not loaded: imported by docs/5.md:2, past five hops)"
    )
    assert "docs/6.md  (not loaded: imported by docs/5.md:2, past five hops)" in result.stdout


def test_claude_does_not_pay_for_agents_md_unless_it_imports_it(repo):
    write(repo, {"AGENTS.md": "shared\n", "CLAUDE.md": "# Claude\n"})
    assert loads(repo, "claude", "x.py") == [("CLAUDE.md", "at the root")]
    write(repo, {"CLAUDE.md": "# Claude\n@AGENTS.md\n"})
    assert loads(repo, "claude", "x.py") == [
        ("CLAUDE.md", "at the root"),
        ("AGENTS.md", "imported by CLAUDE.md:2"),
    ]


def test_claude_reads_agents_md_when_nothing_of_its_own_is_there(repo):
    write(repo, {"AGENTS.md": "shared\n"})
    assert loads(repo, "claude", "x.py") == [("AGENTS.md", "at the root: no CLAUDE.md anywhere")]


def test_claude_rules_load_always_or_by_paths_and_nested_claude_md_on_the_way(repo):
    write(
        repo,
        {
            "CLAUDE.md": "root\n",
            "web/CLAUDE.md": "web\n",
            ".claude/rules/all.md": "everywhere\n",
            ".claude/rules/ts.md": '---\npaths:\n  - "web/**/*.ts"\n---\nts\n',
        },
    )
    assert loads(repo, "claude", "web/app.ts") == [
        ("CLAUDE.md", "at the root"),
        ("web/CLAUDE.md", "in web/"),
        (".claude/rules/all.md", "a rule without paths: always"),
        (".claude/rules/ts.md", "paths web/**/*.ts match"),
    ]
    assert loads(repo, "claude", "api/app.py") == [
        ("CLAUDE.md", "at the root"),
        (".claude/rules/all.md", "a rule without paths: always"),
    ]


def test_cursor_counts_always_apply_and_matching_globs_never_agent_requested(repo):
    write(
        repo,
        {
            ".cursor/rules/always.mdc": "---\nalwaysApply: true\n---\nalways\n",
            ".cursor/rules/py.mdc": (
                "---\nglobs: src/**/*.py, tests/**\nalwaysApply: false\n---\npy\n"
            ),
            ".cursor/rules/ask.mdc": "---\ndescription: Ask me\n---\nask\n",
        },
    )
    result = cli(repo, "tokens", "--as", "cursor", "src/a.py")
    assert result.stdout == (
        "Cursor working on src/a.py loads:\n"
        "       11  .cursor/rules/always.mdc  (alwaysApply: true)\n"
        "       20  .cursor/rules/py.mdc  (globs src/**/*.py, tests/** match)\n"
        "       31  total\n"
        "        -  .cursor/rules/ask.mdc  (not loaded: agent-requested: loaded only if the model "
        "asks)\n"
    )


def test_check_counts_always_applied_cursor_rules_against_rules_budget(repo):
    assert cli(repo, "init").exit_code == 0
    write(repo, {".cursor/rules/big.mdc": "---\nalwaysApply: true\n---\n" + "word " * 400 + "\n"})
    result = cli(repo, "check")
    assert (
        ".cursor/rules/big.mdc:1:1: warning host-budget: Cursor loads 676 tokens of always-loaded "
        "files at the repository root, over rules_budget 500 (.cursor/rules/big.mdc 676)\n"
    ) in result.stdout
    assert result.exit_code == 0


def test_a_symlink_counts_once(repo):
    write(repo, {"AGENTS.md": "shared rules\n"})
    (repo / ".github").mkdir()
    (repo / ".github/copilot-instructions.md").symlink_to("../AGENTS.md")
    result = cli(repo, "tokens", "--as", "copilot", "x.py")
    assert result.stdout == (
        "GitHub Copilot working on x.py loads:\n"
        "        5  .github/copilot-instructions.md  (repository-wide: always)\n"
        "        5  total\n"
        "        -  AGENTS.md  (not loaded: the same file as "
        ".github/copilot-instructions.md, already loaded)\n"
    )


def test_copilot_applies_instructions_by_apply_to(repo):
    write(
        repo,
        {
            ".github/copilot-instructions.md": "all\n",
            ".github/instructions/py.instructions.md": '---\napplyTo: "**/*.py"\n---\npy\n',
            ".github/instructions/every.instructions.md": '---\napplyTo: "**"\n---\nevery\n',
        },
    )
    assert [p for p, _ in loads(repo, "copilot", "a/b.py")] == [
        ".github/copilot-instructions.md",
        ".github/instructions/every.instructions.md",
        ".github/instructions/py.instructions.md",
    ]
    assert [p for p, _ in loads(repo, "copilot", "a/b.ts")] == [
        ".github/copilot-instructions.md",
        ".github/instructions/every.instructions.md",
    ]


def test_gemini_loads_gemini_md_on_the_way_with_imports(repo):
    write(repo, {"GEMINI.md": "@AGENTS.md\n", "AGENTS.md": "x\n", "lib/GEMINI.md": "lib\n"})
    assert loads(repo, "gemini", "lib/a.py") == [
        ("GEMINI.md", "at the root"),
        ("AGENTS.md", "imported by GEMINI.md:1"),
        ("lib/GEMINI.md", "in lib/"),
    ]


def test_windsurf_cuts_a_rules_file_at_6000_characters(repo):
    write(repo, {".windsurf/rules/long.md": "---\ntrigger: always_on\n---\n" + LINE * 100})
    data = json.loads(cli(repo, "tokens", "--as", "windsurf", "x.py", "--json").stdout)
    item = data["loads"][0]["files"][0]
    assert (item["path"], item["loaded_bytes"], item["cut_line"]) == (
        ".windsurf/rules/long.md",
        6000,
        4 + (6000 - 28) // 64,
    )


def test_cline_rules_folder_by_paths(repo):
    write(
        repo,
        {".clinerules/all.md": "all\n", ".clinerules/web.md": "---\npaths: [web/**]\n---\nweb\n"},
    )
    assert [p for p, _ in loads(repo, "cline", "web/a.js")] == [
        ".clinerules/all.md",
        ".clinerules/web.md",
    ]
    assert [p for p, _ in loads(repo, "cline", "api/a.js")] == [".clinerules/all.md"]


def test_tokens_as_an_unknown_host_says_which_there_are(repo):
    result = cli(repo, "tokens", "--as", "vim", "x.py")
    assert result.exit_code == 2
    assert "no host 'vim'" in result.stderr
    assert "claude, codex, cursor, copilot, gemini, windsurf, cline" in result.stderr


def test_check_says_when_an_import_is_most_of_a_hosts_cost(repo):
    assert cli(repo, "init").exit_code == 0
    write(repo, {"CLAUDE.md": "# Notes\nSee @CHANGES.md\n", "CHANGES.md": "change " * 400})
    result = cli(repo, "check")
    assert (
        "CLAUDE.md:1:1: warning host-budget: Claude Code loads 942 tokens of always-loaded files "
        "at the repository root, over rules_budget 500 (CLAUDE.md 8; CHANGES.md 934)\n"
        "  hint: most of it is CHANGES.md (934), imported by CLAUDE.md:2: a Markdown link to it "
        "instead of the @ import keeps it out of every session\n"
    ) in result.stdout


def test_a_big_agents_md_alone_is_one_budget_finding_not_one_per_host(repo):
    assert cli(repo, "init").exit_code == 0
    write(repo, {"AGENTS.md": "word " * 900, ".cursor/rules/a.mdc": "---\nglobs: x/**\n---\nx\n"})
    result = cli(repo, "check")
    assert "always-loaded-budget" in result.stdout
    assert "host-budget" not in result.stdout


def test_tokens_as_finds_the_repository_of_a_path_given_from_outside_it(repo, tmp_path):
    write(repo, {"AGENTS.md": "rules\n", "src/a.py": ""})
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    result = cli(outside, "tokens", "--as", "codex", str(repo / "src/a.py"))
    assert result.stdout == (
        "Codex working on src/a.py loads:\n        2  AGENTS.md  (at the root)\n        2  total\n"
    )
