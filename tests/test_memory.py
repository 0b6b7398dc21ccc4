"""Memory that stays small: decisions supersede, a budget for what applies to one task, and the
log rotating past log_max_lines, two processes appending at once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import ROOT, cli


def workspace(repo: Path, settings: str = "") -> Path:
    assert cli(repo, "init").exit_code == 0
    plan = repo / ".agents/plan.md"
    if settings:
        plan.write_text(
            plan.read_text().replace("rules_budget: 500\n", f"rules_budget: 500\n{settings}")
        )
    assert cli(repo, "add", "Parse", "--id", "parse", "--input", "src/parse.py").exit_code == 0
    return repo


def decision(repo: Path, stem: str, front: str, body: str) -> None:
    path = repo / f".agents/memory/decisions/{stem}.md"
    path.write_text(f"---\ntitle: {stem}\n{front}---\n{body}\n")


def prompt(repo: Path) -> str:
    result = cli(repo, "next")
    assert result.exit_code == 0, result.output
    return result.stdout


def test_a_superseded_decision_leaves_the_prompts_and_stays_on_disk(repo):
    workspace(repo)
    decision(repo, "yaml-for-config", "date: 2026-01-01\n", "Config is YAML.")
    decision(
        repo,
        "toml-for-config",
        "date: 2026-06-01\nsupersede: [yaml-for-config]\n",
        "Config is TOML.",
    )
    text = prompt(repo)
    assert "Config is TOML." in text
    assert "Config is YAML." not in text
    assert (repo / ".agents/memory/decisions/yaml-for-config.md").is_file()
    assert cli(repo, "check").exit_code == 0


def test_check_reports_a_decision_superseded_twice_and_a_cycle(repo):
    workspace(repo)
    decision(repo, "a", "supersede: [old]\n", "A.")
    decision(repo, "b", "supersede: [old]\n", "B.")
    decision(repo, "old", "", "Old.")
    decision(repo, "x", "supersede: [y]\n", "X.")
    decision(repo, "y", "supersede: [x]\n", "Y.")
    result = cli(repo, "check")
    assert result.exit_code == 1
    assert (
        ".agents/memory/decisions/b.md:3:1: error supersede-twice: decision 'old' is superseded "
        "twice, by a and b\n"
    ) in result.stdout
    assert (
        ".agents/memory/decisions/x.md:3:1: error supersede-cycle: decisions supersede each other "
        "in a circle: x -> y -> x\n"
    ) in result.stdout
    assert result.stdout.count("supersede-cycle") == 1


def test_check_names_the_task_and_the_notes_over_the_memory_budget(repo):
    workspace(repo, "memory_budget: 100\n")
    (repo / ".agents/memory/gotchas/big.md").write_text(
        "---\ntitle: Big\napplies_to: [src/parse.py]\n---\n" + "word " * 150 + "\n"
    )
    (repo / ".agents/memory/gotchas/other.md").write_text(
        "---\ntitle: Other\napplies_to: [docs/**]\n---\n" + "word " * 150 + "\n"
    )
    result = cli(repo, "check")
    assert (
        ".agents/tasks/parse.md:1:1: warning memory-budget: the decisions and gotchas that apply "
        "to task 'parse' cost 251 tokens, over memory_budget 100 (.agents/memory/gotchas/big.md "
        "251)\n"
    ) in result.stdout
    assert "other.md" not in result.stdout


APPENDER = """
import sys
from pathlib import Path
from agentmd.workspace.folder import Workspace
from agentmd.tasks.lifecycle import log
ws = Workspace.find(Path(sys.argv[1]))
for n in range(int(sys.argv[3])):
    log(ws, "event", f"{sys.argv[2]}-{n}")
"""


def test_the_log_rotates_and_two_processes_appending_lose_no_line_and_double_none(repo):
    workspace(repo, "log_max_lines: 50\n")
    log = repo / ".agents/memory/log.md"
    base = log.read_text().count("\n- ")
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", APPENDER, str(repo), name, "120"],
            cwd=ROOT,
        )
        for name in ("a", "b")
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    archives = sorted((repo / ".agents/memory").glob("log-*.md"))
    year = {line[2:6] for line in log.read_text().splitlines() if line.startswith("- 2")}
    assert [p.name for p in archives] == [f"log-{y}.md" for y in sorted(year)]
    lines = []
    for path in [*archives, log]:
        lines += [line for line in path.read_text().splitlines() if line.startswith("- ")]
    events = [line.rsplit(" ", 1)[-1] for line in lines if " event " in line]
    expected = {f"{name}-{n}" for name in "ab" for n in range(120)}
    assert sorted(events) == sorted(expected)  # none lost, none twice
    assert len(lines) == base + 240
    kept = [line for line in log.read_text().splitlines() if line.startswith("- ")]
    assert 0 < len(kept) <= 50
    assert archives and archives[0].read_text().startswith("# Log, ")


def test_a_rotated_log_keeps_order_and_the_header(repo):
    workspace(repo, "log_max_lines: 10\n")
    from agentmd.memory.log import log_lines
    from agentmd.tasks.lifecycle import log
    from agentmd.workspace.folder import Workspace

    ws = Workspace.find(repo)
    for n in range(25):
        log(ws, "event", f"e{n}")
    text = (repo / ".agents/memory/log.md").read_text()
    assert text.startswith("# Log\n")
    ours = [line.rsplit(" ", 1)[-1] for line in log_lines(ws) if " event " in line]
    assert ours == [f"e{n}" for n in range(25)]
