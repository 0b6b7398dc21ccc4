"""`agentmd rules build`: .agents/rules/ written as each host's own files, exact bytes; a
second build changes nothing; --check catches a hand edit and a rule whose source is gone; a
hand-written file keeps every byte outside agentmd's markers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import cli

STYLE = "---\ntitle: Style\nalways: true\n---\nUse four spaces.\n"
API = (
    '---\ntitle: API handlers\napplies_to: ["src/api/**/*.py"]\n---\n'
    "Validate every request body with the schema.\n"
)


def mark(hosts: str) -> str:
    return (
        f"<!-- agentmd:generated for {hosts} from .agents/rules/ by `agentmd rules build` -->\n\n"
    )


def workspace(repo: Path, hosts: str | None) -> Path:
    assert cli(repo, "init").exit_code == 0
    plan = repo / ".agents/plan.md"
    if hosts is not None:
        plan.write_text(
            plan.read_text().replace(
                "rules_budget: 500\n", f"rules_budget: 500\nhosts: [{hosts}]\n"
            )
        )
    (repo / ".agents/rules").mkdir(exist_ok=True)
    (repo / ".agents/rules/style.md").write_text(STYLE)
    (repo / ".agents/rules/api.md").write_text(API)
    (repo / "src/api").mkdir(parents=True)
    (repo / "src/api/handlers.py").write_text("pass\n")
    return repo


def outputs(repo: Path) -> dict[str, str]:
    """Each file a build made, its marker's digest taken out (each digest is checked once, in
    the test of hand edits)."""
    skip = (".git/", ".agents/", "src/api/handlers.py", "README.md")
    return {
        p.relative_to(repo).as_posix(): re.sub(r" \(digest [0-9a-f]{12}\)", "", p.read_text())
        for p in sorted(repo.rglob("*"))
        if p.is_file() and not p.relative_to(repo).as_posix().startswith(skip)
    }


ALWAYS = "## Style\n\nUse four spaces.\n"
SCOPED = "Validate every request body with the schema.\n"
EXPECTED = {
    "codex": {
        "AGENTS.md": mark("codex") + ALWAYS,
        "src/api/AGENTS.md": mark("codex")
        + "## API handlers\n\nApplies to `src/api/**/*.py`.\n\n"
        + SCOPED,
    },
    "claude": {
        ".claude/rules/api.md": '---\npaths:\n  - "src/api/**/*.py"\n---\n'
        + mark("claude")
        + SCOPED,
        "AGENTS.md": mark("claude") + ALWAYS,
        "CLAUDE.md": mark("claude") + "@AGENTS.md\n",
    },
    "cursor": {
        ".cursor/rules/api.mdc": '---\ndescription: "API handlers"\nglobs: "src/api/**/*.py"\n'
        "alwaysApply: false\n---\n" + mark("cursor") + SCOPED,
        ".cursor/rules/style.mdc": '---\ndescription: "Style"\nalwaysApply: true\n---\n'
        + mark("cursor")
        + "Use four spaces.\n",
    },
    "copilot": {
        ".github/copilot-instructions.md": mark("copilot") + ALWAYS,
        ".github/instructions/api.instructions.md": '---\napplyTo: "src/api/**/*.py"\n---\n'
        + mark("copilot")
        + SCOPED,
    },
    "gemini": {
        "AGENTS.md": mark("gemini") + ALWAYS,
        "GEMINI.md": mark("gemini") + "@AGENTS.md\n",
        "src/api/AGENTS.md": mark("gemini")
        + "## API handlers\n\nApplies to `src/api/**/*.py`.\n\n"
        + SCOPED,
        "src/api/GEMINI.md": mark("gemini") + "@AGENTS.md\n",
    },
    "windsurf": {
        ".windsurf/rules/api.md": '---\ntrigger: glob\nglobs: "src/api/**/*.py"\n---\n'
        + mark("windsurf")
        + SCOPED,
        ".windsurf/rules/style.md": "---\ntrigger: always_on\n---\n"
        + mark("windsurf")
        + "Use four spaces.\n",
    },
    "cline": {
        ".clinerules/api.md": '---\npaths:\n  - "src/api/**/*.py"\n---\n' + mark("cline") + SCOPED,
        ".clinerules/style.md": mark("cline") + "Use four spaces.\n",
    },
}


@pytest.mark.parametrize("host", sorted(EXPECTED))
def test_build_writes_each_hosts_own_files_exactly(repo, host):
    workspace(repo, host)
    result = cli(repo, "rules", "build")
    assert result.exit_code == 0, result.output
    assert outputs(repo) == EXPECTED[host]
    assert result.stdout.count("(new)") == len(EXPECTED[host])


def test_several_hosts_share_agents_md_and_each_rule_reaches_each_host_once(repo):
    workspace(repo, "claude, cursor, copilot")
    assert cli(repo, "rules", "build").exit_code == 0
    files = outputs(repo)
    assert sorted(files) == [
        ".claude/rules/api.md",
        ".cursor/rules/api.mdc",
        ".github/instructions/api.instructions.md",
        "AGENTS.md",
        "CLAUDE.md",
    ]
    assert files["AGENTS.md"] == mark("claude, cursor, copilot") + ALWAYS
    for host in ("claude", "cursor", "copilot"):
        shown = cli(repo, "tokens", "--as", host, "src/api/handlers.py").stdout
        assert shown.count("AGENTS.md") == 1, shown
        assert "api" in shown, shown


def test_a_second_build_changes_nothing(repo):
    workspace(repo, "claude, cursor")
    assert cli(repo, "rules", "build").exit_code == 0
    before = {p: (repo / p).stat().st_mtime_ns for p in outputs(repo)}
    again = cli(repo, "rules", "build")
    assert again.exit_code == 0
    assert again.stdout == "up to date: 4 file(s) for claude, cursor\n"
    assert {p: (repo / p).stat().st_mtime_ns for p in outputs(repo)} == before
    assert cli(repo, "rules", "build", "--check").exit_code == 0


def test_detected_hosts_stay_the_same_after_a_build(repo):
    workspace(repo, None)
    (repo / ".cursor/rules").mkdir(parents=True)
    (repo / ".cursor/rules/mine.mdc").write_text("---\nglobs: docs/**\n---\nShort lines.\n")
    (repo / "CLAUDE.md").write_text("# Mine\n\nBe brief.\n")
    first = cli(repo, "rules", "build")
    assert first.exit_code == 0, first.output
    assert "wrote .cursor/rules/api.mdc (new)" in first.stdout
    again = cli(repo, "rules", "build")
    assert again.stdout == "up to date: 4 file(s) for claude, cursor\n", again.output


def test_a_hand_edit_of_a_generated_file_is_named_and_kept_until_forced(repo):
    # (the hint said to build, and the build dropped the edit without a word)
    workspace(repo, "cursor")
    assert cli(repo, "rules", "build").exit_code == 0
    path = repo / ".cursor/rules/style.mdc"
    assert "(digest " in path.read_text()
    path.write_text(path.read_text().replace("four", "two"))
    edited = path.read_text()
    said = (
        ".cursor/rules/style.mdc:1:1: error rules-hand-edited: edited by hand since `agentmd "
        "rules build` wrote it: a build would drop the edit, so it is left as it is\n"
        "  hint: it is made from .agents/rules/: move the edit into the rule there, then build "
        "('agentmd rules build --force' drops the edit)\n"
    )
    result = cli(repo, "rules", "build", "--check")
    assert result.exit_code == 1 and result.stderr == said
    built = cli(repo, "rules", "build")
    assert built.exit_code == 1 and built.stderr == said
    assert path.read_text() == edited  # kept
    # the edit moved into the rule: the build writes the file again, and it is its own
    rule = repo / ".agents/rules/style.md"
    rule.write_text(rule.read_text().replace("four", "two"))
    assert cli(repo, "rules", "build").exit_code == 0  # nothing of the edit is lost now
    assert "Use two spaces." in path.read_text()
    assert cli(repo, "rules", "build", "--check").exit_code == 0
    # --force drops an edit
    path.write_text(path.read_text().replace("two", "three"))
    assert cli(repo, "rules", "build", "--force").exit_code == 0
    assert "Use two spaces." in path.read_text()


def test_check_catches_a_file_whose_rule_is_gone(repo):
    workspace(repo, "cursor")
    assert cli(repo, "rules", "build").exit_code == 0
    (repo / ".agents/rules/api.md").unlink()
    result = cli(repo, "rules", "build", "--check")
    assert result.exit_code == 1
    assert result.stdout == (
        ".cursor/rules/api.mdc:1:1: error rules-out-of-date: no rule produces it any more\n"
        "  hint: run 'agentmd rules build'\n"
    )
    assert cli(repo, "rules", "build").stdout == (
        "removed .cursor/rules/api.mdc (no rule produces it any more)\n"
    )
    assert not (repo / ".cursor/rules/api.mdc").exists()
    assert (repo / ".cursor/rules/style.mdc").is_file()


def test_a_hand_written_claude_md_keeps_every_byte_outside_the_markers(repo):
    workspace(repo, "claude")
    mine = "# Our notes\r\n\r\nRun `make test` first.\r\nNo trailing newline here"
    (repo / "CLAUDE.md").write_bytes(mine.encode())
    assert cli(repo, "rules", "build").exit_code == 0
    data = (repo / "CLAUDE.md").read_bytes()
    assert (
        data
        == (
            mine
            + "\r\n\r\n<!-- agentmd:rules:start -->\r\n@AGENTS.md\r\n<!-- agentmd:rules:end -->\r\n"
        ).encode()
    )
    # Edit around the block, and again: only the block is agentmd's.
    edited = b"Top line\n" + data + b"after\n"
    (repo / "CLAUDE.md").write_bytes(edited)
    assert cli(repo, "rules", "build").stdout == "up to date: 3 file(s) for claude\n"
    assert (repo / "CLAUDE.md").read_bytes() == edited
    (repo / ".agents/rules/style.md").unlink()  # nothing always: the block goes, the rest stays
    assert cli(repo, "rules", "build").exit_code == 0
    assert (repo / "CLAUDE.md").read_bytes() == b"Top line\n" + mine.encode() + b"\r\n\r\nafter\n"


def test_dry_run_prints_the_diff_and_writes_nothing(repo):
    workspace(repo, "codex")
    result = cli(repo, "rules", "build", "--dry-run")
    assert result.exit_code == 0
    assert result.stdout.startswith("--- /dev/null\n+++ b/AGENTS.md\n@@ -0,0 +1,5 @@\n")
    assert "+## Style\n" in result.stdout
    assert not (repo / "AGENTS.md").exists()


def test_a_hand_written_rule_file_in_the_way_is_left_and_named(repo):
    workspace(repo, "cursor")
    (repo / ".cursor/rules").mkdir(parents=True)
    (repo / ".cursor/rules/api.mdc").write_text("---\nglobs: src/**\n---\nMine.\n")
    result = cli(repo, "rules", "build")
    assert result.exit_code == 1
    assert result.stderr.startswith(
        ".cursor/rules/api.mdc:1:1: error rules-file-in-the-way: a file a person wrote is where "
        "agentmd would write a rule\n"
    )
    assert (repo / ".cursor/rules/api.mdc").read_text() == "---\nglobs: src/**\n---\nMine.\n"
    assert (repo / ".cursor/rules/style.mdc").is_file()


def test_a_claude_md_symlink_to_agents_md_is_left_alone(repo):
    workspace(repo, "claude")
    (repo / "CLAUDE.md").symlink_to("AGENTS.md")
    result = cli(repo, "rules", "build")
    assert result.exit_code == 0, result.output
    assert (repo / "CLAUDE.md").is_symlink()
    assert outputs(repo)["AGENTS.md"] == mark("claude") + ALWAYS
    shown = cli(repo, "tokens", "--as", "claude", "src/api/handlers.py").stdout
    assert "CLAUDE.md  (at the root)" in shown
    assert "AGENTS.md" not in shown.replace("CLAUDE.md", "")


def test_unknown_host_in_the_plan_is_a_located_error(repo):
    workspace(repo, "claude, cusor")
    result = cli(repo, "rules", "build")
    assert result.exit_code == 2
    assert ".agents/plan.md:" in result.stderr
    assert "unknown-host: no host 'cusor'" in result.stderr
    assert "did you mean 'cursor'?" in result.stderr


@pytest.mark.slow
def test_the_pre_commit_framework_runs_rules_build_check_by_its_id(repo):
    import os
    import shutil
    import subprocess
    import sys

    import yaml

    from conftest import ROOT, git

    workspace(repo, "cursor")
    assert cli(repo, "rules", "build").exit_code == 0
    manifest = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    hook = {**next(h for h in manifest if h["id"] == "agentmd-rules"), "language": "system"}
    (repo / ".pre-commit-config.yaml").write_text(
        yaml.safe_dump({"repos": [{"repo": "local", "hooks": [hook]}]})
    )
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "rules")
    env = {
        **os.environ,
        "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"],
        "PRE_COMMIT_HOME": str(repo.parent / "pc-home"),
    }
    pre_commit = shutil.which("pre-commit", path=env["PATH"])
    assert pre_commit, "pre-commit is in the dev extra"
    path = repo / ".cursor/rules/style.mdc"
    path.write_text(path.read_text() + "hand edit\n")
    git(repo, "add", "-A")
    run = subprocess.run(
        [pre_commit, "run", "agentmd-rules"], cwd=repo, capture_output=True, text=True, env=env
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert ".cursor/rules/style.mdc:1:1: error rules-hand-edited: edited by hand" in run.stdout


def test_a_plan_without_rules_says_there_is_nothing_to_build(repo):
    assert cli(repo, "init").exit_code == 0
    result = cli(repo, "rules", "build")
    assert (result.exit_code, result.stdout) == (
        0,
        "nothing to build: no rule in .agents/rules/ has `always: true` or `applies_to`\n",
    )
    assert not (repo / "AGENTS.md").exists()


def test_built_always_rules_are_counted_once_by_check(repo):
    workspace(repo, "codex")
    (repo / ".agents/rules/style.md").write_text(STYLE.replace("Use four spaces.", "word " * 180))
    (repo / ".agents/rules/api.md").unlink()
    before = cli(repo, "check")
    assert "always-loaded-budget" not in before.stdout, before.stdout
    assert cli(repo, "rules", "build").exit_code == 0
    after = cli(repo, "check")
    assert "always-loaded-budget" not in after.stdout, after.stdout
    assert after.exit_code == 0
    (repo / "AGENTS.md").write_text((repo / "AGENTS.md").read_text() + "word " * 300)
    over = cli(repo, "check")
    assert "AGENTS.md:1:1: warning always-loaded-budget" in over.stdout
    assert (
        ".agents/rules/style.md" not in over.stdout.split("always-loaded-budget")[1].split("\n")[0]
    )


def test_a_build_that_writes_more_than_codex_reads_says_where_it_cuts_and_exits_1(repo):
    # (a build merged 39 KB of imported rules into AGENTS.md, exit 0 and --check passing,
    # while Codex read its first 32 KiB: the rest reached no session, and nothing said so)
    assert cli(repo, "init").exit_code == 0
    body = "\n".join(f"- Rule {n}: always do the careful thing with widgets." for n in range(700))
    (repo / ".agents/rules/big.md").write_text(f"---\ntitle: Big\nalways: true\n---\n{body}\n")
    built = cli(repo, "rules", "build")
    assert built.exit_code == 1
    assert built.stdout == "wrote AGENTS.md (new)\n"
    assert built.stderr.startswith("AGENTS.md:")
    assert "error host-cut: Codex stops reading here:" in built.stderr
    line = int(built.stderr.split(":")[1])
    assert (repo / "AGENTS.md").read_text().encode()[:32768].count(b"\n") + 1 == line
    checked = cli(repo, "rules", "build", "--check")  # up to date, and still cut: CI fails
    assert checked.exit_code == 1 and "error host-cut" in checked.stderr


def test_a_claude_md_that_imports_agents_md_gets_no_block_importing_it_again(repo):
    # (a CLAUDE.md holding `@AGENTS.md` got a block holding `@AGENTS.md`: imported twice)
    assert cli(repo, "init").exit_code == 0
    (repo / "AGENTS.md").write_text("# Rules\n\nBe careful.\n")
    (repo / "CLAUDE.md").write_text("@AGENTS.md\n")
    assert cli(repo, "rules", "import").exit_code == 0
    assert cli(repo, "rules", "build").exit_code == 0
    assert (repo / "CLAUDE.md").read_text() == "@AGENTS.md\n"
    assert "Be careful." in (repo / "AGENTS.md").read_text()
    assert cli(repo, "rules", "build", "--check").exit_code == 0
    # a block an earlier build wrote there is taken out
    (repo / "CLAUDE.md").write_text(
        "@AGENTS.md\n\n<!-- agentmd:rules:start -->\n@AGENTS.md\n<!-- agentmd:rules:end -->\n"
    )
    built = cli(repo, "rules", "build")
    assert built.stdout.startswith("wrote CLAUDE.md (its agentmd block is stale)")
    assert (repo / "CLAUDE.md").read_text() == "@AGENTS.md\n"
