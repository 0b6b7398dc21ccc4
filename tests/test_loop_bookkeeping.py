"""A worker that follows the loop's prompt to the letter passes: what agentmd itself writes into
.agents/ on the task's branch (the task's bookkeeping fields from `agentmd verify`, its handoff
from `handoff new`, the log) is never scope drift, and the merge never conflicts on it."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import git, run_agentmd
from loopkit import attempts_section, loop_env, make_plan, status_of, worker

pytestmark = pytest.mark.slow


def run(repo: Path, *args: str):
    return run_agentmd(repo, "run", *args, env=loop_env(), timeout=120)


def test_a_worker_that_runs_every_finishing_step_of_its_prompt_is_merged(repo):
    make_plan(repo, {"a": [], "b": ["a"]}, max_attempts=1)
    result = run(repo, "--worker", worker("obey"), "--until-done")
    assert result.returncode == 0, result.stdout + result.stderr
    assert [status_of(repo, t) for t in "ab"] == ["done", "done"]
    assert "done a: verify passed, handoff valid, merged agentmd/a" in result.stdout
    assert "scope drift" not in result.stdout
    log = (repo / ".agents/.cache/runs/a/attempt-1.log").read_text()
    # It did run them: agentmd verify wrote verified_* into its task file on its branch.
    assert "agentmd verify a: exit 0" in log
    assert "agentmd handoff check: exit 0" in log
    assert "agentmd done" not in log.split("steps:", 1)[1].splitlines()[0]
    merged = git(repo, "log", "-1", "--format=%H", "--grep=merge agentmd/a (a)").strip()
    # the branch (pruned since): its tip gives the base branch's copy back, before it the work
    branch_file = git(repo, "show", f"{merged}^2~1:.agents/tasks/a.md")
    assert "verified_commit: " in branch_file
    # The base branch keeps the loop's bookkeeping: no conflict, no stale field merged in.
    text = (repo / ".agents/tasks/a.md").read_text()
    assert "status: done" in text and "verified_commit" not in text
    assert git(repo, "status", "--porcelain", "--untracked-files=no") == ""


def test_a_worker_that_rewrites_its_own_task_goal_has_drifted(repo):
    make_plan(repo, {"a": []}, max_attempts=1)
    result = run(repo, "--worker", worker("goal"), "--until-done")
    assert result.returncode == 1, result.stdout + result.stderr
    assert status_of(repo, "a") == "failed"
    assert (
        "- scope drift: changed .agents/tasks/a.md outside its outputs (out/a.txt)"
        in attempts_section(repo, "a")
    )
    assert "`out/a.txt` says `done a`." in (repo / ".agents/tasks/a.md").read_text()


def test_the_worker_finds_agentmd_even_when_its_path_does_not_have_it(repo):
    make_plan(repo, {"a": []}, max_attempts=1)
    result = run_agentmd(
        repo, "run", "--worker", worker("obey"), "--until-done", env={"PATH": "/usr/bin:/bin"}
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert status_of(repo, "a") == "done"
    log = (repo / ".agents/.cache/runs/a/attempt-1.log").read_text()
    assert "agentmd verify a: exit 0" in log
