"""A loop killed while its `git worktree add` still runs: the worktree is locked
'initializing' until that git finishes. The loop started again right away waits for it (or
lifts a lock whose git died) instead of failing with 'already checked out'."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from agentmd import worktrees
from agentmd.workspace.folder import Workspace
from conftest import git, run_agentmd
from loopkit import loop_env, make_plan, status_of, worker

# Stands for the killed loop's git child: it holds the lock, then finishes as git does.
FINISH_LATER = (
    "import subprocess, sys, time; time.sleep(float(sys.argv[2])); "
    "subprocess.run(['git', 'worktree', 'unlock', sys.argv[1]], check=True)"
)


def left_initializing(repo: Path, task_id: str) -> Path:
    path = repo / ".agents/.cache/worktrees" / task_id
    git(repo, "worktree", "add", "-q", "-b", f"agentmd/{task_id}", str(path))
    git(repo, "worktree", "lock", "--reason", "initializing", str(path))
    return path


def test_a_fresh_worktree_waits_for_the_git_that_is_still_making_it(repo):
    make_plan(repo, {"a": []})
    path = left_initializing(repo, "a")
    child = subprocess.Popen([sys.executable, "-c", FINISH_LATER, str(path), "0.5"], cwd=repo)
    ws = Workspace(repo)
    tree, created = worktrees.create(ws, ws.task("a"), fresh=True)
    child.wait(timeout=30)
    assert created and tree.path == path.resolve() and tree.branch == "agentmd/a"
    assert worktrees.lock_reason(ws, path) is None
    assert worktrees.find(ws, "a") == tree


def test_a_lock_whose_git_died_is_lifted_after_the_wait(repo, monkeypatch):
    make_plan(repo, {"a": []})
    path = left_initializing(repo, "a")
    monkeypatch.setattr(worktrees, "INITIALIZING_WAIT", 0.3)
    ws = Workspace(repo)
    assert worktrees.lock_reason(ws, path) == "initializing"
    tree, created = worktrees.create(ws, ws.task("a"), fresh=True)
    assert created and tree.branch == "agentmd/a"
    assert worktrees.lock_reason(ws, path) is None


@pytest.mark.slow
def test_the_loop_started_right_after_a_kill_mid_worktree_add_finishes_the_task(repo):
    make_plan(repo, {"a": []})
    path = left_initializing(repo, "a")
    child = subprocess.Popen([sys.executable, "-c", FINISH_LATER, str(path), "1"], cwd=repo)
    result = run_agentmd(
        repo, "run", "--worker", worker("good"), "--until-done", env=loop_env(), timeout=90
    )
    child.wait(timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr
    assert status_of(repo, "a") == "done"
    assert result.stdout.splitlines()[-1] == "every task is done"
