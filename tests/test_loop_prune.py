"""The loop prunes the worktrees and branches it made once their work is merged; work that never
landed (a failed task) keeps its worktree and branch for a person."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import git, run_agentmd
from loopkit import loop_env, make_plan, status_of, worker

pytestmark = pytest.mark.slow


def run(repo: Path, *args: str):
    return run_agentmd(repo, "run", *args, env=loop_env(), timeout=120)


def worktree_paths(repo: Path) -> list[str]:
    listed = git(repo, "worktree", "list", "--porcelain").splitlines()
    return [line.split(" ", 1)[1] for line in listed if line.startswith("worktree ")]


def test_merged_tasks_leave_no_worktree_or_branch_and_a_failed_one_keeps_both(repo):
    make_plan(repo, {"a": [], "b": []}, max_attempts=1)
    (repo / ".agents/tasks/b.md").write_text(
        (repo / ".agents/tasks/b.md").read_text().replace('"done b"', '"never"')
    )
    git(repo, "commit", "-q", "-am", "b cannot pass")
    result = run(repo, "--worker", worker("good"), "--slots", "2", "--until-done")
    assert result.returncode == 1, result.stdout + result.stderr
    assert [status_of(repo, t) for t in "ab"] == ["done", "failed"]
    assert "done a: verify passed, handoff valid, merged agentmd/a" in result.stdout
    assert worktree_paths(repo) == [str(repo), str(repo / ".agents/.cache/worktrees/b")]
    assert git(repo, "branch", "--list", "agentmd/*", "--format=%(refname:short)") == (
        "agentmd/b\n"
    )
    assert not (repo / ".agents/.cache/worktrees/a").exists()


def test_until_done_prunes_what_a_killed_loop_left_after_a_merge(repo):
    make_plan(repo, {"a": []})
    result = run(repo, "--worker", worker("good"), "--until-done")
    assert result.returncode == 0, result.stdout + result.stderr
    # As a loop killed between the merge and the pruning leaves it:
    git(repo, "worktree", "add", "-q", "-b", "agentmd/a", str(repo / ".agents/.cache/worktrees/a"))
    result = run(repo, "--worker", worker("good"), "--until-done")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == "every task is done\n"
    assert worktree_paths(repo) == [str(repo)]
    assert git(repo, "branch", "--list", "agentmd/*") == ""
