"""`agentmd rules import`: the hosts' files into .agents/rules/ (scoping kept, duplicates
merged, origin recorded, all or nothing); then `rules build` gives files that load the same
rules for the same paths, as `tokens --as` shows before and after."""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import pytest

from conftest import CORPUS, cli

LOCATED = re.compile(r"^(?P<path>[^\n]+):\d+:\d+: error [a-z-]+: \S.*\n  hint: \S")


def corpus_files() -> list[tuple[str, str]]:
    manifest = CORPUS / "MANIFEST.tsv"
    if not manifest.is_file():
        return []
    with manifest.open(newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return [(r["local_name"], r["path"]) for r in rows if r["local_name"].startswith("agents-md/")]


@pytest.mark.skipif(not corpus_files(), reason="../shared/corpus is not here (a user's clone)")
def test_every_corpus_agent_file_imports_or_is_refused_with_a_located_reason(tmp_path):
    imported = refused = 0
    for local, path in corpus_files():
        folder = tmp_path / local.replace("/", "_")
        (folder / ".agents").mkdir(parents=True)
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(CORPUS / local, folder / path)
        result = cli(folder, "rules", "import", path)
        if result.exit_code == 0:
            created = re.findall(r"^created (\.agents/rules/\S+) from (.+)$", result.stdout, re.M)
            assert (
                created == [(created[0][0], path)] if created else "only imports" in result.stdout
            )
            imported += 1
            if created:
                text = (folder / created[0][0]).read_text()
                assert f'origin:\n  - "{path}"\n' in text
                assert cli(folder, "check", created[0][0]).exit_code == 0, text[:300]
        else:
            assert result.exit_code == 1, (path, result.output)
            match = LOCATED.match(result.stderr)
            assert match and match.group("path") == path, (path, result.stderr)
            assert not list((folder / ".agents").rglob("*.md"))
            refused += 1
    assert imported >= 50 and refused >= 1, (imported, refused)


def write(repo: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = repo / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


GENERAL = "# Project rules\n\n- Run `make test` before you commit.\n- Never edit generated code.\n"
PYTHON = "Type every public function; use pytest fixtures, not setUp.\n"
REAL_SHAPED = {
    "CLAUDE.md": GENERAL,
    ".github/copilot-instructions.md": GENERAL,
    ".cursor/rules/general.mdc": "---\ndescription: General\nalwaysApply: true\n---\n" + GENERAL,
    ".cursor/rules/python.mdc": "---\ndescription: Python\nglobs: src/**/*.py\n---\n" + PYTHON,
    ".claude/rules/python.md": '---\npaths:\n  - "src/**/*.py"\n---\n' + PYTHON,
    ".github/instructions/python.instructions.md": '---\napplyTo: "src/**/*.py"\n---\n' + PYTHON,
    "src/app/main.py": "",
    "docs/guide.md": "",
}
HOSTS = ("claude", "cursor", "copilot")
PATHS = ("src/app/main.py", "docs/guide.md")


def rules_loaded(repo: Path, host: str, path: str) -> list[str]:
    """The rule texts a host loads for `path`: files' own words, markers and imports left out."""
    data = json.loads(cli(repo, "tokens", "--as", host, path, "--json").stdout)
    texts = []
    for item in data["loads"][0]["files"]:
        text = (repo / item["path"]).read_text()
        text = re.sub(r"\A---\n.*?\n---\n", "", text, flags=re.S)
        lines = [
            line
            for line in text.splitlines()
            if not line.startswith("<!-- agentmd:") and not re.fullmatch(r"@\S+", line)
        ]
        body = "\n".join(lines).strip()
        texts += [part.strip() for part in re.split(r"\n(?=# )", body) if part.strip()]
    return sorted(texts)


def test_import_then_build_loads_the_same_rules_for_the_same_paths(repo):
    assert cli(repo, "init").exit_code == 0
    write(repo, REAL_SHAPED)
    before = {(h, p): rules_loaded(repo, h, p) for h in HOSTS for p in PATHS}
    assert before[("cursor", "src/app/main.py")] == sorted([GENERAL.strip(), PYTHON.strip()])
    assert before[("claude", "docs/guide.md")] == [GENERAL.strip()]

    result = cli(repo, "rules", "import")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "created .agents/rules/python.md from .claude/rules/python.md, "
        ".cursor/rules/python.mdc, .github/instructions/python.instructions.md\n"
        "created .agents/rules/general.md from .cursor/rules/general.mdc, "
        ".github/copilot-instructions.md, CLAUDE.md\n"
    )
    assert (repo / ".agents/rules/python.md").read_text() == (
        '---\ntitle: "python"\napplies_to:\n  - "src/**/*.py"\norigin:\n'
        '  - ".claude/rules/python.md"\n  - ".cursor/rules/python.mdc"\n'
        '  - ".github/instructions/python.instructions.md"\n---\n' + PYTHON
    )
    built = cli(repo, "rules", "build")
    assert built.exit_code == 0, built.output
    assert "wrote AGENTS.md (new)" in built.stdout
    assert "removed .cursor/rules/general.mdc (no rule produces it any more)" in built.stdout
    assert "removed .github/copilot-instructions.md (no rule produces it any more)" in built.stdout
    after = {(h, p): rules_loaded(repo, h, p) for h in HOSTS for p in PATHS}
    assert after == before
    assert cli(repo, "rules", "build").stdout.startswith("up to date: ")


def one_file_refused(repo: Path) -> None:
    """A workspace beside an AGENTS.md and a Cursor rule that import refuses (no scope)."""
    assert cli(repo, "init").exit_code == 0
    write(
        repo,
        {
            "AGENTS.md": "Good rules.\n",
            ".cursor/rules/ask.mdc": "---\ndescription: Only when asked\n---\nAsk.\n",
        },
    )


def test_import_is_all_or_nothing(repo):
    one_file_refused(repo)
    result = cli(repo, "rules", "import")
    assert result.exit_code == 1
    assert result.stderr.startswith(
        ".cursor/rules/ask.mdc:2:1: error rules-import-unscoped: a Cursor rule neither always "
        "applied nor scoped by globs"
    )
    assert "nothing imported" in result.stderr
    assert not (repo / ".agents/rules/agents.md").exists()
    assert (repo / ".agents/rules").is_dir()


def test_a_nested_agents_md_becomes_a_rule_scoped_to_its_folder(repo):
    assert cli(repo, "init").exit_code == 0
    write(repo, {"pkg/AGENTS.md": "# Package\n\nKeep it small.\n"})
    assert cli(repo, "rules", "import").exit_code == 0
    assert (repo / ".agents/rules/pkg-agents.md").read_text() == (
        '---\ntitle: "Package"\napplies_to:\n  - "pkg/**"\norigin:\n  - "pkg/AGENTS.md"\n---\n'
        "# Package\n\nKeep it small.\n"
    )
    assert cli(repo, "rules", "import").stdout == (
        "pkg/AGENTS.md: already in .agents/rules/pkg-agents.md\n"
    )


def test_a_cursor_rules_description_becomes_its_title(repo):
    assert cli(repo, "init").exit_code == 0
    write(
        repo,
        {
            ".cursor/rules/py.mdc": (
                "---\ndescription: Python style\nglobs: src/**/*.py\n---\nHints.\n"
            )
        },
    )
    assert cli(repo, "rules", "import").exit_code == 0
    assert (repo / ".agents/rules/py.md").read_text().startswith('---\ntitle: "Python style"\n')


def test_import_refuses_a_path_outside_the_repository(repo, tmp_path):
    assert cli(repo, "init").exit_code == 0
    (tmp_path / "AGENTS.md").write_text("Elsewhere.\n")
    result = cli(repo, "rules", "import", "../AGENTS.md")
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "../AGENTS.md:1:1: error path-escapes: is outside the repository\n"
    )
    assert not list((repo / ".agents/rules").glob("*.md"))


def test_an_imported_rules_imports_still_name_the_same_files_where_it_is_built(repo):
    assert cli(repo, "init").exit_code == 0
    write(
        repo,
        {
            "web/CLAUDE.md": "# Web\n\nSee @docs/style.md before editing.\n",
            "web/docs/style.md": "Two spaces.\n",
            "web/app.ts": "",
        },
    )
    before = rules_loaded(repo, "claude", "web/app.ts")
    assert before == sorted(["# Web\n\nSee @docs/style.md before editing.".strip(), "Two spaces."])
    assert cli(repo, "rules", "import").exit_code == 0
    plan = repo / ".agents/plan.md"
    plan.write_text(
        plan.read_text().replace("rules_budget: 500\n", "rules_budget: 500\nhosts: [claude]\n")
    )
    built = cli(repo, "rules", "build")
    assert built.exit_code == 0, built.output
    rule = (repo / ".claude/rules/web-claude.md").read_text()
    assert "See @../../web/docs/style.md before editing." in rule
    loads = json.loads(cli(repo, "tokens", "--as", "claude", "web/app.ts", "--json").stdout)
    assert [f["path"] for f in loads["loads"][0]["files"]] == [
        ".claude/rules/web-claude.md",
        "web/docs/style.md",
    ]


def test_setups_workflow_block_is_not_imported_and_survives_a_build_until_setup_removes_it(repo):
    # (import copied the block into the rule: once setup took it out of AGENTS.md, the build
    # put it back and `rules build --check` failed)
    assert cli(repo, "init").exit_code == 0
    write(repo, {"AGENTS.md": "# Project\n\nUse tabs in Makefiles.\n"})
    assert cli(repo, "setup", "codex").exit_code == 0
    assert cli(repo, "rules", "import").exit_code == 0
    rule = (repo / ".agents/rules/agents.md").read_text()
    assert rule.endswith("---\n# Project\n\nUse tabs in Makefiles.\n")
    assert cli(repo, "rules", "build").exit_code == 0
    built = (repo / "AGENTS.md").read_text()
    assert "Use tabs in Makefiles." in built and "<!-- agentmd:workflow:start -->" in built
    assert cli(repo, "rules", "build", "--check").exit_code == 0
    assert cli(repo, "setup", "codex", "--remove").exit_code == 0
    assert "agentmd:workflow" not in (repo / "AGENTS.md").read_text()
    checked = cli(repo, "rules", "build", "--check")
    assert checked.exit_code == 0, checked.output
    # setup again, after the build: the block goes back in, and the build keeps it
    assert cli(repo, "setup", "codex").exit_code == 0
    assert cli(repo, "rules", "build", "--check").exit_code == 0


def test_an_agents_md_of_setups_block_alone_is_left_as_it_is(repo):
    assert cli(repo, "init").exit_code == 0
    assert cli(repo, "setup", "codex").exit_code == 0
    result = cli(repo, "rules", "import")
    assert "AGENTS.md: holds only the workflow block 'agentmd setup' wrote: left as it is" in (
        result.output
    )
    assert not (repo / ".agents/rules/agents.md").exists()


def test_a_refused_file_can_be_left_out_and_the_rest_imported(repo):
    # (one refused file among nine stopped them all, and naming the other eight was the only way)
    one_file_refused(repo)
    refused = cli(repo, "rules", "import")
    assert refused.exit_code == 1
    assert refused.stderr.endswith(
        "nothing imported: fix the files named above, or leave them out "
        "('agentmd rules import --skip .cursor/rules/ask.mdc')\n"
    )
    result = cli(repo, "rules", "import", "--skip", ".cursor/rules/ask.mdc")
    assert result.exit_code == 0, result.output
    assert result.stdout == "created .agents/rules/agents.md from AGENTS.md\n"
    assert (repo / ".cursor/rules/ask.mdc").read_text().endswith("Ask.\n")  # left as it was
