"""plan.md `verify_slots`: at most N verify runs at once across the repository's worktrees,
real `agentmd verify` processes racing for the slots' lock files."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from agentmd.errors import AgentmdError
from agentmd.tasks import verify_slots
from agentmd.workspace.folder import Workspace
from conftest import cli, git
from loopkit import loop_env

# Each verify command stamps its start and end into the log; between them it waits for
# `release` (one slot) or for the other run's start (two slots), at most 60 s.
STAMP = """import sys, time
from pathlib import Path
name, log, mode = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
with log.open("a") as f:
    f.write(f"start {name}\\n")
end = time.time() + 60
def ready():
    if mode == "release":
        return (log.parent / "release").exists()
    return log.read_text().count("start ") >= 2
while not ready() and time.time() < end:
    time.sleep(0.05)
with log.open("a") as f:
    f.write(f"end {name}\\n")
"""
TASK = """---
title: Verify {id}
status: todo
priority: medium
depends_on: []
inputs: []
outputs: [out/{id}.txt]
verify:
  - python {stamp} {id} {log} {mode}
created: 2026-11-20
---
## Goal

Stamp the verify log.
"""


def setup(repo: Path, tmp_path: Path, slots: int, mode: str) -> tuple[Path, Path]:
    """The plan committed on main, and a second worktree of it; returns (worktree, log)."""
    stamp, log = tmp_path / "stamp.py", tmp_path / "verify.log"
    stamp.write_text(STAMP)
    assert cli(repo, "init").exit_code == 0
    plan = repo / ".agents/plan.md"
    text = plan.read_text()
    plan.write_text(text.replace("---\n", f"---\nverify_slots: {slots}\n", 1))
    for task_id in "ab":
        (repo / ".agents/tasks" / f"{task_id}.md").write_text(
            TASK.format(id=task_id, stamp=stamp, log=log, mode=mode)
        )
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "plan")
    tree = tmp_path / "side"
    git(repo, "worktree", "add", "-q", "-b", "side", str(tree))
    return tree, log


def verify(where: Path, task_id: str) -> subprocess.Popen:
    import os

    return subprocess.Popen(
        [sys.executable, "-m", "agentmd", "verify", task_id, "--no-record"],
        cwd=where,
        env={**os.environ, **loop_env()},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(path: Path, text: str) -> None:
    end = time.time() + 60
    while time.time() < end and text not in (path.read_text() if path.exists() else ""):
        time.sleep(0.05)
    assert text in path.read_text()


def test_with_one_verify_slot_two_verify_runs_in_two_worktrees_never_overlap(repo, tmp_path):
    tree, log = setup(repo, tmp_path, 1, "release")
    first = verify(repo, "a")
    wait_for(log, "start a\n")
    second = verify(tree, "b")  # in the other worktree: the same slots
    assert second.stderr is not None
    assert second.stderr.readline() == "waiting for a verify slot (1 in use)\n"
    assert log.read_text() == "start a\n"  # b waits, its command not started
    (tmp_path / "release").write_text("")
    out_a, _ = first.communicate(timeout=60)
    out_b, err_b = second.communicate(timeout=60)
    assert first.returncode == 0 and second.returncode == 0, (out_a, out_b, err_b)
    assert log.read_text() == "start a\nend a\nstart b\nend b\n"
    assert out_b.splitlines()[-1].startswith("b: verify passed at ")


def test_with_two_verify_slots_two_verify_runs_go_at_once(repo, tmp_path):
    tree, log = setup(repo, tmp_path, 2, "both")
    first, second = verify(repo, "a"), verify(tree, "b")
    out_a, err_a = first.communicate(timeout=90)
    out_b, err_b = second.communicate(timeout=90)
    assert first.returncode == 0 and second.returncode == 0, (out_a, err_a, out_b, err_b)
    lines = log.read_text().splitlines()
    # each waited for the other's start before it ended: they overlapped
    assert sorted(lines[:2]) == ["start a", "start b"]
    assert sorted(lines[2:]) == ["end a", "end b"]
    assert "waiting for a verify slot" not in err_a + err_b
    assert out_a.splitlines()[-1].startswith("a: verify passed at ")


def test_verify_slots_must_be_a_positive_whole_number(repo):
    assert cli(repo, "init").exit_code == 0
    plan = repo / ".agents/plan.md"
    plan.write_text(plan.read_text().replace("---\n", "---\nverify_slots: two\n", 1))
    with pytest.raises(AgentmdError) as raised:
        verify_slots.cap(Workspace(repo))
    assert raised.value.message == (
        "plan.md setting verify_slots: 'two' is not a positive whole number"
    )
    result = cli(repo, "run", "--worker", "true", "--once")
    assert result.exit_code == 2
    assert "plan.md setting verify_slots: 'two' is not a positive whole number" in result.stderr


def test_without_verify_slots_there_is_no_cap_and_no_lock_folder(repo):
    assert cli(repo, "init").exit_code == 0
    ws = Workspace(repo)
    assert verify_slots.cap(ws) is None
    with verify_slots.held(ws):
        pass
    assert not (repo / ".git" / verify_slots.SLOTS_DIR).exists()
    assert (repo / ".git").is_dir()


def test_merge_conflicts_and_verify_slots_are_known_plan_settings(repo):
    assert cli(repo, "init").exit_code == 0
    plan = repo / ".agents/plan.md"
    plan.write_text(
        plan.read_text().replace("---\n", "---\nverify_slots: 2\nmerge_conflicts: worker\n", 1)
    )
    result = cli(repo, "check")
    assert "unknown" not in result.output
    assert result.exit_code == 0, result.output


def test_a_verify_command_that_runs_agentmd_verify_takes_no_second_slot(repo, tmp_path):
    assert cli(repo, "init").exit_code == 0
    plan = repo / ".agents/plan.md"
    plan.write_text(
        plan.read_text().replace("---\n", "---\nverify_slots: 1\nverify_timeout: 30\n", 1)
    )
    agentmd = f"{sys.executable} -m agentmd"
    nested = (("a", f"{agentmd} verify b --no-record"), ("b", "test $AGENTMD_VERIFY_SLOT = 0"))
    for task_id, command in nested:
        text = TASK.replace("python {stamp} {id} {log} {mode}", command).format(id=task_id)
        (repo / ".agents/tasks" / f"{task_id}.md").write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "plan")
    run = verify(repo, "a")
    out, err = run.communicate(timeout=90)
    assert run.returncode == 0, out + err
    assert out.splitlines()[-1].startswith("a: verify passed at ")
    assert "waiting for a verify slot" not in err  # b ran in a's slot, 0
