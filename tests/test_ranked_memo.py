"""`next --parallel` remembers its ranked batch between processes: after task files changed
that cannot change it, it prints what it remembered without rebuilding the plan; after any
change that can, it ranks again."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from agentmd.workspace import folder
from conftest import cli

TASK = (
    "---\ntitle: {title}\nstatus: todo\npriority: {priority}\noutputs: [src/{title}.py]\n---\n"
    "## Goal\n\nWrite {title}.\n"
)


def age(repo: Path, seconds: int = 10) -> None:
    """Every file under .agents/ written `seconds` ago (its cache aside): out of the racy window."""
    stamp = time.time_ns() - seconds * 1_000_000_000
    for where, dirs, files in os.walk(repo / ".agents"):
        dirs[:] = [d for d in dirs if d != ".cache"]
        for name in files:
            os.utime(Path(where) / name, ns=(stamp, stamp))


def write(repo: Path, title: str, priority: str = "medium", extra: str = "") -> Path:
    path = repo / ".agents/tasks" / f"{title}.md"
    path.write_text(TASK.format(title=title, priority=priority) + extra)
    return path


@pytest.fixture
def plan(repo):
    cli(repo, "init")
    write(repo, "alpha", "high")
    write(repo, "beta", "high")
    write(repo, "gamma", "low")
    age(repo)
    first = cli(repo, "next", "--parallel", "2")
    assert first.exit_code == 0, first.output
    assert "alpha" in first.stdout and "beta" in first.stdout and "Write gamma." not in first.stdout
    return repo, first.stdout


def no_index(monkeypatch) -> None:
    def refuse(ws):
        raise AssertionError("the plan was rebuilt")

    monkeypatch.setattr(folder, "load_index", refuse)


def test_a_task_outside_the_batch_touched_or_noted_keeps_the_batch(plan, monkeypatch):
    repo, before = plan
    gamma = repo / ".agents/tasks/gamma.md"
    gamma.write_text(gamma.read_text() + "\n## Notes\n\nNothing yet.\n")
    stamp = time.time_ns() - 5_000_000_000  # changed since the batch, out of the racy window
    os.utime(gamma, ns=(stamp, stamp))
    no_index(monkeypatch)
    again = cli(repo, "next", "--parallel", "2")
    assert again.exit_code == 0, again.output
    assert again.stdout == before
    os.utime(repo / ".agents/tasks/gamma.md")  # touched just now: read again, and still the same
    assert cli(repo, "next", "--parallel", "2").stdout == before


def test_a_field_changed_outside_the_batch_ranks_again(plan, monkeypatch):
    repo, before = plan
    gamma = write(repo, "gamma", "high")  # and older than the others: first in line now
    gamma.write_text(
        gamma.read_text().replace("priority: high", "priority: high\ncreated: 2020-01-01")
    )
    stamp = time.time_ns() - 5_000_000_000
    os.utime(gamma, ns=(stamp, stamp))
    rebuilt = []
    load = folder.load_index
    monkeypatch.setattr(folder, "load_index", lambda ws: rebuilt.append(1) or load(ws))
    again = cli(repo, "next", "--parallel", "2")
    assert again.exit_code == 0, again.output
    assert rebuilt == [1]
    assert "Write gamma." in again.stdout and "Write alpha." in again.stdout
    assert "Write beta." not in again.stdout


def test_a_task_in_the_batch_edited_ranks_again(plan):
    repo, before = plan
    write(repo, "alpha", "high", extra="\nAlso mind the edge cases.\n")
    age(repo)
    again = cli(repo, "next", "--parallel", "2")
    assert again.exit_code == 0, again.output
    assert "Also mind the edge cases." in again.stdout
    assert again.stdout != before


def test_a_handoff_or_rule_added_ranks_again(plan):
    repo, before = plan
    (repo / ".agents/rules/style.md").write_text(
        "---\ntitle: Style\nalways: true\n---\n- Be brief.\n"
    )
    age(repo)
    again = cli(repo, "next", "--parallel", "2")
    assert again.exit_code == 0, again.output
    assert "Be brief." in again.stdout
