"""The remembered outputs of read-only commands: one small file each, reused while nothing under
.agents/ changed, and never one command's output for another's."""

from __future__ import annotations

import os
import time
from pathlib import Path

from agentmd.workspace import memo
from agentmd.workspace.folder import Workspace
from conftest import cli

TASK = "---\ntitle: {title}\nstatus: todo\n---\n## Goal\n\nDo {title}.\n"


def age(repo: Path, seconds: float = 10) -> None:
    """Every file under .agents/ (its cache aside) written `seconds` ago: older than the racy
    window, so that what was remembered of them is trusted."""
    stamp = time.time_ns() - int(seconds * 1e9)
    for folder, dirs, files in os.walk(repo / ".agents"):
        dirs[:] = [d for d in dirs if d != ".cache"]
        for name in files:
            os.utime(Path(folder) / name, ns=(stamp, stamp))


def plan(repo: Path, *titles: str) -> None:
    cli(repo, "init")
    for title in titles:
        (repo / ".agents/tasks" / f"{title}.md").write_text(TASK.format(title=title))
    age(repo)


def memo_files(repo: Path) -> list[str]:
    return sorted(p.name for p in (repo / ".agents/.cache/memo").iterdir())


def test_each_remembered_output_is_its_own_file(repo):
    plan(repo, "alpha", "beta")
    first = cli(repo, "next")
    listed = cli(repo, "list", "--json")
    assert first.exit_code == 0 and listed.exit_code == 0
    ws = Workspace(repo)
    next_file = memo.path_of(ws, memo.key("next", None, False, False))
    list_file = memo.path_of(ws, memo.key("list", [], False, True))
    assert memo_files(repo) == sorted([next_file.name, list_file.name])
    assert '"output":' in next_file.read_text()
    assert memo.recall(ws, memo.key("next", None, False, False)) == (first.stdout, first.stderr)
    assert memo.recall(ws, memo.key("list", [], False, True)) == (listed.stdout, "")


def test_an_output_is_recalled_without_reading_the_others(repo):
    plan(repo, "alpha")
    first = cli(repo, "next")
    expected = (first.stdout, first.stderr)
    cli(repo, "list", "--json")
    ws = Workspace(repo)
    next_file = memo.path_of(ws, memo.key("next", None, False, False))
    for other in (repo / ".agents/.cache/memo").iterdir():
        if other != next_file:
            other.write_bytes(b"\xff not JSON")  # read, it would be no memo at all
    assert memo.recall(ws, memo.key("next", None, False, False)) == expected
    assert memo.recall(ws, memo.key("list", [], False, True)) is None
    assert cli(repo, "next").stdout == expected[0]


def test_a_changed_file_makes_every_remembered_output_stale(repo):
    plan(repo, "alpha", "beta")
    cli(repo, "next")
    ws = Workspace(repo)
    assert memo.recall(ws, memo.key("next", None, False, False)) is not None
    path = repo / ".agents/tasks/alpha.md"
    path.write_text(path.read_text().replace("status: todo", "status: done"))
    age(repo)
    assert memo.recall(Workspace(repo), memo.key("next", None, False, False)) is None
    result = cli(repo, "next")
    assert result.exit_code == 0
    assert "Do beta." in result.stdout and "Do alpha." not in result.stdout


def test_a_file_written_within_the_racy_window_is_not_trusted(repo):
    plan(repo, "alpha")
    cli(repo, "next")
    path = repo / ".agents/tasks/alpha.md"
    os.utime(path, ns=(time.time_ns(), time.time_ns()))  # as if edited just now
    ws = Workspace(repo)
    assert memo.recall(ws, memo.key("next", None, False, False)) is None
    assert memo.path_of(ws, memo.key("next", None, False, False)).is_file()


def test_the_oldest_outputs_go_beyond_the_limit(repo):
    plan(repo, "alpha")
    ws = Workspace(repo)
    for number in range(memo.MAX_ENTRIES + 3):
        memo.remember(ws, memo.key("test", number), f"output {number}\n", "")
        written = memo.path_of(ws, memo.key("test", number))
        stamp = time.time_ns() - (100 - number) * 1_000_000_000  # in the order written
        os.utime(written, ns=(stamp, stamp))
    kept = memo_files(repo)
    assert len(kept) == memo.MAX_ENTRIES
    assert memo.path_of(ws, memo.key("test", 0)).name not in kept
    assert memo.path_of(ws, memo.key("test", memo.MAX_ENTRIES + 2)).name in kept
    last = memo.key("test", memo.MAX_ENTRIES + 2)
    assert memo.recall(Workspace(repo), last) == (f"output {memo.MAX_ENTRIES + 2}\n", "")
