"""The merge queue meets a conflict: the branch is rebased onto the base branch in its
worktree; only a rebase that conflicts sends the task back (or, with `merge_conflicts:
worker`, hands it to a worker). Two tasks in review that edit one file, as two workers leave
them: their branches made the way the loop makes them, from before either merged."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import pytest

from agentmd import worktrees
from agentmd.loop import rebase
from agentmd.tasks import claims, lifecycle
from agentmd.workspace.folder import Workspace
from conftest import git, run_agentmd
from loopkit import attempts_section, loop_env, start_loop, status_of, worker

pytestmark = pytest.mark.slow

CONFLICT_WORKER = Path(__file__).resolve().parent / "workers" / "conflict_worker.py"
LINES = "".join(f"line {n}\n" for n in range(1, 11))
PLAN = """---
title: Rebase test plan
max_attempts: {attempts}
{extra}---
## Goal

Two tasks that edit one file.
"""
TASK = """---
title: Edit shared.txt for {id}
status: todo
priority: medium
depends_on: []
inputs: []
outputs: [shared.txt]
verify:
  - grep -q "line from {id}" shared.txt
created: 2026-11-20
---
## Goal

`shared.txt` has a line from {id}.
"""
HANDOFF = """---
task: {id}
status: done
base: {base}
---
## Summary

Put the line from {id} into `shared.txt`, so that its verify command passes.

## Completed

- `shared.txt`: line {line} is the line from {id}.

## Remaining

None

## Decisions

- One line replaced, because the verify command only looks for it.

## Gotchas

None

## Next action

Merge the branch; nothing else follows from {id}.

## Artifacts

- shared.txt

## Verification

- `grep -q "line from {id}" shared.txt`: exit 0
"""


def plan(repo: Path, extra: str = "", attempts: int = 3) -> None:
    (repo / "shared.txt").write_text(LINES)
    assert run_agentmd(repo, "init").returncode == 0
    (repo / ".agents/plan.md").write_text(PLAN.format(extra=extra, attempts=attempts))
    for task_id in "ab":
        (repo / ".agents/tasks" / f"{task_id}.md").write_text(TASK.format(id=task_id))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "plan")


def worked(repo: Path, task_id: str, line: int) -> Path:
    """Claimed by the loop at the current commit, worked in its worktree (line `line` of
    shared.txt replaced, a true handoff), and in review: what a worker that exited 0 leaves."""
    ws = Workspace(repo)
    task = claims.claim(ws, task_id, "agentmd-run")
    git(repo, "commit", "-q", "-am", f"agentmd: claim {task_id}")
    tree, _ = worktrees.create(ws, task, fresh=True, start=git(repo, "rev-parse", "HEAD").strip())
    shared = tree.path / "shared.txt"
    lines = shared.read_text().splitlines(keepends=True)
    lines[line - 1] = f"line from {task_id}\n"
    shared.write_text("".join(lines))
    handoff = tree.path / ".agents/handoffs" / f"2026-11-20-{task_id}.md"
    handoff.write_text(HANDOFF.format(id=task_id, base=task.base, line=line))
    git(tree.path, "add", "-A")
    git(tree.path, "commit", "-q", "-m", f"{task_id}: line {line}")
    lifecycle.set_status(Workspace(repo), task_id, "review", "review", "its worker exited 0")
    git(repo, "commit", "-q", "-am", f"agentmd: review {task_id}")
    return tree.path


def run(repo: Path, *args: str, env: dict | None = None):
    return run_agentmd(repo, "run", *args, env={**loop_env(), **(env or {})}, timeout=120)


def test_two_tasks_that_change_one_file_in_different_places_both_land(repo):
    plan(repo)
    worked(repo, "a", 2)
    worked(repo, "b", 9)
    result = run(repo, "--worker", worker("good"), "--until-done")
    assert result.returncode == 0, result.stdout + result.stderr
    assert [status_of(repo, t) for t in "ab"] == ["done", "done"]
    lines = (repo / "shared.txt").read_text().splitlines()
    assert lines[1] == "line from a" and lines[8] == "line from b"
    assert "done b: verify passed, handoff valid, merged agentmd/b" in result.stdout
    assert "retry" not in result.stdout


def test_two_tasks_that_truly_conflict_end_with_one_merged_and_the_other_back(repo):
    plan(repo)
    worked(repo, "a", 5)
    tree_b = worked(repo, "b", 5)
    first = run(repo, "--worker", worker("good"), "--once")  # reviews both, in queue order
    assert "done a: verify passed, handoff valid, merged agentmd/a" in first.stdout, first.stdout
    merged = git(repo, "log", "--format=%h", "--grep=agentmd: merge agentmd/a (a)").strip()
    assert status_of(repo, "a") == "done"
    assert status_of(repo, "b") == "todo"
    said = (
        f"rebasing onto main conflicts in shared.txt (changed there by the merge of task a "
        f"({merged})); the next attempt starts from the current main"
    )
    assert said in attempts_section(repo, "b")
    assert f"retry b: attempt 1 of 3 failed: {said}" in first.stdout
    assert not rebase.in_progress(tree_b)  # the rebase was aborted, the branch as it was
    assert git(tree_b, "log", "-2", "--format=%s") == (
        "agentmd: b's task file as the base branch keeps it\nb: line 5\n"
    )
    assert (repo / "shared.txt").read_text().splitlines()[4] == "line from a"
    assert git(repo, "status", "--porcelain", "--untracked-files=no") == ""


def test_the_rebase_takes_the_base_branchs_copy_of_the_tasks_own_file_and_moves_the_handoff(
    repo,
):
    plan(repo)
    tree = worked(repo, "a", 2)
    ws = Workspace(repo)
    task = ws.tasks["a"]
    # the worker ran `agentmd verify` in its worktree: its task file changed on the branch ...
    own = tree / ".agents/tasks/a.md"
    own.write_text(own.read_text().replace("status: active", "status: active\nverified: true"))
    git(tree, "commit", "-q", "-am", "a: verified")
    # ... and the base branch moved on, changing the same lines of it and another file
    path = repo / ".agents/tasks/a.md"
    path.write_text(path.read_text().replace("status: review", "status: review\nlease: 3h"))
    (repo / "other.txt").write_text("a person's file\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "a person's change")
    head = git(repo, "rev-parse", "HEAD").strip()
    done = rebase.onto(ws, task, tree, head, "main")
    assert done == rebase.Rebased(True)
    assert (tree / "other.txt").read_text() == "a person's file\n"
    assert own.read_text() == path.read_text()  # the base branch's bookkeeping won
    handoff = (tree / ".agents/handoffs/2026-11-20-a.md").read_text()
    assert f"base: {head}\n" in handoff
    assert f"base: {task.base}\n" not in handoff
    assert git(tree, "log", "-1", "--format=%s") == (
        f"agentmd: a's handoff starts from {head[:12]}, where it was rebased\n"
    )
    assert git(tree, "status", "--porcelain") == ""


HOOK = """#!/bin/sh
# Sleeps in the first rebase (its state already on disk) while the marker file exists.
if [ -d "$(git rev-parse --git-path rebase-merge)" ] && [ -f "{marker}" ]; then
  rm -f "{marker}"
  touch "{marker}.reached"
  sleep 60
fi
"""


def test_a_loop_killed_mid_rebase_is_repaired_at_the_next_start_and_the_rebase_runs_again(
    repo, tmp_path
):
    plan(repo)
    worked(repo, "a", 5)
    tree_b = worked(repo, "b", 5)
    marker = tmp_path / "sleep-in-rebase"
    marker.write_text("")
    hook = repo / ".git/hooks/post-checkout"
    hook.write_text(HOOK.format(marker=marker))
    hook.chmod(0o755)
    proc = start_loop(repo, "--worker", worker("good"), piped=False, start_new_session=True)
    try:
        deadline = time.time() + 60
        while not Path(f"{marker}.reached").exists() and time.time() < deadline:
            time.sleep(0.05)
        assert Path(f"{marker}.reached").exists()
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the loop and the git it runs, mid-rebase
        proc.wait()
    assert rebase.in_progress(tree_b)
    assert rebase.branch_of(tree_b) == "agentmd/b"
    result = run(repo, "--worker", worker("good"), "--once")
    assert result.stdout.splitlines()[0] == (
        "undo a rebase of agentmd/b that a stopped loop left half done"
    )
    assert "retry b: attempt 1 of 3 failed: rebasing onto main conflicts in shared.txt" in (
        result.stdout
    )
    assert not rebase.in_progress(tree_b)
    assert status_of(repo, "a") == "done"
    assert status_of(repo, "b") == "todo"


def conflict_worker(mode: str) -> str:
    return f"{sys.executable} {CONFLICT_WORKER} {mode}"


def test_with_merge_conflicts_worker_a_worker_resolves_the_conflict_and_both_land(repo):
    plan(repo, "merge_conflicts: worker\n")
    worked(repo, "a", 5)
    worked(repo, "b", 5)
    result = run(repo, "--worker", conflict_worker("resolve"), "--until-done")
    assert result.returncode == 0, result.stdout + result.stderr
    assert [status_of(repo, t) for t in "ab"] == ["done", "done"]
    text = (repo / "shared.txt").read_text()
    assert "line from a\nline from b\n" in text
    assert "<<<<<<<" not in text and "=======" not in text
    assert "conflict b: rebasing onto main conflicts in shared.txt" in result.stdout
    assert "a worker resolves it in .agents/.cache/worktrees/b (attempt 2)" in result.stdout
    assert "Attempt 1 " in attempts_section(repo, "b")
    assert "handed to a worker to resolve in its worktree" in attempts_section(repo, "b")
    prompt = (repo / ".agents/.cache/runs/b/attempt-2.prompt.md").read_text()
    assert "Preserve the intent of both changes" in prompt
    merged = git(repo, "log", "--format=%h", "--grep=agentmd: merge agentmd/a (a)").strip()
    assert f"which the merge of task a ({merged}) changed too since the task started" in prompt
    assert "## The change already on `main`: task `a` (Edit shared.txt for a)" in prompt
    assert "`shared.txt` has a line from a." in prompt
    assert "Put the line from a into `shared.txt`" in prompt  # a's handoff
    assert "Put the line from b into `shared.txt`" in prompt  # b's own
    assert "+<<<<<<< " in prompt or "++<<<<<<< " in prompt  # the hunks, markers and all


@pytest.mark.parametrize(
    ("mode", "said"),
    [
        ("leave", "the conflict worker left the rebase stopped with unmerged files: shared.txt"),
        ("markers", "the conflict worker left conflict markers: shared.txt:"),
    ],
)
def test_a_conflict_worker_that_leaves_the_conflict_sends_the_task_back(repo, mode, said):
    plan(repo, "merge_conflicts: worker\n")
    worked(repo, "a", 5)
    worked(repo, "b", 5)
    for _ in range(4):  # review a, review b (handed over), b's worker exits, b is sent back
        result = run(repo, "--worker", conflict_worker(mode), "--once")
        if status_of(repo, "b") == "todo":
            break
        deadline = time.time() + 30
        while (
            status_of(repo, "b") == "active"
            and not (repo / ".agents/.cache/runs/b/attempt-2.exit").exists()
            and time.time() < deadline
        ):
            time.sleep(0.1)
    assert status_of(repo, "b") == "todo", result.stdout
    assert said in attempts_section(repo, "b")
    assert "Attempt 2 " in attempts_section(repo, "b")
    assert status_of(repo, "a") == "done"


def test_a_conflict_on_the_last_attempt_fails_the_task_and_starts_no_worker(repo):
    plan(repo, "merge_conflicts: worker\n", attempts=1)
    worked(repo, "a", 5)
    tree_b = worked(repo, "b", 5)
    result = run(repo, "--worker", conflict_worker("resolve"), "--until-done")
    assert result.returncode == 1, result.stdout + result.stderr
    assert status_of(repo, "b") == "failed"
    assert "failed b: attempt 1 of 1: rebasing onto main conflicts in shared.txt" in result.stdout
    assert "conflict b:" not in result.stdout
    assert not rebase.in_progress(tree_b)
    assert status_of(repo, "a") == "done"
