"""The loop judges a task's handoff where its work lands: at the task branch's commit, which is
what a merge takes, and not in the worktree (a handoff written there but never committed, or
changed since, never reaches the base branch)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from conftest import git, run_agentmd
from loopkit import attempts_section, loop_env, make_plan, status_of, worker

pytestmark = pytest.mark.slow


def run(repo: Path):
    return run_agentmd(repo, "run", "--worker", worker("good"), "--once", env=loop_env(),
                       timeout=90)  # fmt: skip


def in_review(repo: Path) -> Path:
    """Step the loop until task a's worker has finished; its worktree."""
    deadline = time.time() + 60
    while status_of(repo, "a") != "review" and time.time() < deadline:
        result = run(repo)
        assert result.returncode == 0, result.stdout + result.stderr
    assert status_of(repo, "a") == "review"
    listed = git(repo, "worktree", "list", "--porcelain").split("\n\n")
    (entry,) = [e for e in listed if "branch refs/heads/agentmd/a" in e]
    return Path(entry.split("\n", 1)[0].removeprefix("worktree "))


def test_a_handoff_left_uncommitted_in_the_worktree_is_not_merged_and_the_loop_says_why(repo):
    make_plan(repo, {"a": []})
    tree = in_review(repo)
    (handoff,) = (tree / ".agents/handoffs").glob("*-a.md")
    rel = handoff.relative_to(tree).as_posix()
    git(tree, "rm", "-q", "--cached", rel)
    git(tree, "commit", "-q", "-m", "the handoff taken out of the branch")
    assert handoff.is_file()  # still in the worktree, untracked: valid there, not on the branch
    commit = git(tree, "rev-parse", "HEAD").strip()
    result = run(repo)
    assert result.returncode == 0, result.stdout + result.stderr
    assert status_of(repo, "a") == "todo"
    assert result.stdout.startswith(
        "retry a: attempt 1 of 3 failed: review found problems: .agents/tasks/a.md:3:1: error "
        "handoff-missing: task 'a' is review but has no handoff; uncommitted: the worktree "
    )
    attempts = attempts_section(repo, "a")
    assert (
        f"- uncommitted: the worktree of agentmd/a holds {rel} that its commit {commit[:12]} "
        "does not; the loop judges and merges the branch's commit, not the worktree: commit "
        "them on the branch (or remove them)\n"
    ) in attempts
    assert not (repo / "out/a.txt").exists()  # not merged
    assert "agentmd: merge agentmd/a" not in git(repo, "log", "--format=%s")


def test_a_stale_handoff_on_the_branch_is_judged_though_the_worktree_holds_a_valid_one(repo):
    make_plan(repo, {"a": []})
    tree = in_review(repo)
    (handoff,) = (tree / ".agents/handoffs").glob("*-a.md")
    valid = handoff.read_text()
    stale = valid.replace(
        "## Remaining\n\nNone\n", "## Remaining\n\n- Say `done a` twice in `out/a.txt`.\n"
    ).replace("status: done", "status: partial")
    handoff.write_text(stale)
    git(tree, "commit", "-q", "-am", "a stale handoff")
    handoff.write_text(valid)  # the valid one again, never committed
    result = run(repo)
    assert result.returncode == 0, result.stdout + result.stderr
    assert status_of(repo, "a") == "todo"
    rel = handoff.relative_to(tree).as_posix()
    assert result.stdout.startswith(
        f"retry a: attempt 1 of 3 failed: review found problems: {rel}:3:1: error "
        "handoff-not-done: the latest handoff says 'status: partial': the session did not "
        "finish the task; "
    )
    attempts = attempts_section(repo, "a")
    assert "error handoff-remaining: the latest handoff lists work under Remaining" in attempts
    assert f"- uncommitted: the worktree of agentmd/a holds {rel} that its commit " in attempts
    assert not (repo / "out/a.txt").exists()


def test_the_same_handoff_committed_on_the_branch_is_merged(repo):
    make_plan(repo, {"a": []})
    tree = in_review(repo)
    assert git(tree, "status", "--porcelain") == ""
    result = run(repo)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == "done a: verify passed, handoff valid, merged agentmd/a\n"
    assert (repo / "out/a.txt").read_text() == "done a\n"
