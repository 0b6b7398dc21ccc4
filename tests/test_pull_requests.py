"""`agentmd run --merge pr` and `--sync github`: the loop with fake workers and a fake `gh` on
PATH (tests/fake_gh), pushing to a local bare repository; nothing reaches the network."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from conftest import git, run_agentmd
from loopkit import attempts_section, loop_env, make_plan, status_of, worker

pytestmark = pytest.mark.slow
FAKE = Path(__file__).resolve().parent / "fake_gh" / "gh.py"
PR = "https://github.com/o/r/pull/1"


@pytest.fixture
def gh_state(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "fake-gh"
    (folder / "bin").mkdir(parents=True)
    script = folder / "bin" / "gh"
    script.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{FAKE}" "$@"\n')
    script.chmod(0o755)
    state = folder / "state.json"
    state.write_text(
        json.dumps(
            {
                "issues": [
                    {
                        "number": 12,
                        "title": "Write a",
                        "body": "",
                        "state": "OPEN",
                        "labels": [],
                        "assignees": [],
                        "comments": [],
                    },
                ],
                "pulls": {},
            }
        )
    )
    monkeypatch.setenv("PATH", f"{folder / 'bin'}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_GH_DIR", str(folder))
    return state


def with_origin(repo: Path, tmp_path: Path) -> Path:
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", str(origin))
    git(repo, "remote", "add", "origin", str(origin))
    return origin


def run(repo: Path, *args: str):
    return run_agentmd(repo, "run", *args, env=loop_env(), timeout=90)


def test_merge_pr_pushes_the_branch_opens_a_pull_request_and_waits_until_merged(
    repo, tmp_path, gh_state
):
    origin = with_origin(repo, tmp_path)
    make_plan(repo, {"a": []}, extra="merge: pr\n")
    result = run(repo, "--worker", worker("good"), "--until-done")
    assert result.returncode == 1, result.stdout + result.stderr
    assert (
        f"propose a: verify passed, handoff valid; pull request {PR} (merge: pr)" in result.stdout
    )
    assert status_of(repo, "a") == "review"
    task = (repo / ".agents/tasks/a.md").read_text()
    assert f"pull_request: {PR}\n" in task
    assert "awaiting_merge: agentmd/a\n" in task
    assert "refs/heads/agentmd/a" in git(origin, "show-ref")
    assert not (repo / "out" / "a.txt").exists()  # not merged here: a person merges
    pull = json.loads(gh_state.read_text())["pulls"]["1"]
    assert pull["head"] == "agentmd/a"
    assert pull["title"] == "Write a (a)"
    assert pull["body"].startswith("agentmd task `a`: Write a\n\n## Summary\n")
    waiting = run(repo, "--worker", worker("good"), "--once")
    assert waiting.stdout == ""
    state = json.loads(gh_state.read_text())
    state["pulls"]["1"]["state"] = "MERGED"
    gh_state.write_text(json.dumps(state))
    merged = run(repo, "--worker", worker("good"), "--once")
    assert merged.stdout == f"done a: pull request {PR} was merged\n"
    assert status_of(repo, "a") == "done"
    assert "pull_request" not in (repo / ".agents/tasks/a.md").read_text()


def test_a_closed_pull_request_sends_the_task_back_with_the_closing_comment(
    repo, tmp_path, gh_state
):
    with_origin(repo, tmp_path)
    make_plan(repo, {"a": []}, extra="merge: pr\n")
    assert run(repo, "--worker", worker("good"), "--until-done").returncode == 1
    state = json.loads(gh_state.read_text())
    state["pulls"]["1"]["state"] = "CLOSED"
    state["pulls"]["1"]["comments"] = [{"body": "Needs a test for the empty case."}]
    gh_state.write_text(json.dumps(state))
    back = run(repo, "--worker", worker("good"), "--once")
    assert back.stdout == (
        f"retry a: attempt 1 of 3 failed: pull request {PR} was closed: "
        "Needs a test for the empty case.\n"
    )
    assert status_of(repo, "a") == "todo"
    assert "was closed: Needs a test for the empty case." in attempts_section(repo, "a")


def test_without_gh_the_loop_says_so_once_and_goes_on(repo, tmp_path, monkeypatch):
    with_origin(repo, tmp_path)
    make_plan(repo, {"a": []}, extra="merge: pr\n")
    # every folder of PATH but those holding a gh: the real one must not answer either
    kept = [d for d in os.environ["PATH"].split(os.pathsep) if d and not (Path(d) / "gh").exists()]
    env = {"PATH": os.pathsep.join([str(Path(sys.executable).parent), *kept])}
    result = run_agentmd(
        repo, "run", "--worker", worker("good"), "--until-done", env=env, timeout=90
    )
    assert result.returncode == 1, result.stdout + result.stderr
    line = "gh: gh (the GitHub CLI) is not installed or not on PATH; the loop goes on without it"
    assert result.stdout.count(line) == 1
    assert (
        "await a: verify passed, handoff valid; agentmd/a pushed, no pull request: open one or "
        "merge it by hand\n" in result.stdout
    )
    assert status_of(repo, "a") == "review"
    assert "awaiting_merge: agentmd/a\n" in (repo / ".agents/tasks/a.md").read_text()


def test_sync_github_each_cycle_posts_once(repo, gh_state):
    make_plan(repo, {"a": []})
    task = repo / ".agents/tasks/a.md"
    task.write_text(
        task.read_text().replace(
            "created: 2026-11-20\n", "created: 2026-11-20\nsource: github#12\n"
        )
    )
    git(repo, "commit", "-qam", "linked to #12")
    first = run(repo, "--worker", worker("slow"), "--once", "--sync", "github")
    assert "commented on #12: the plan (1 task(s))" in first.stdout
    again = run(repo, "--worker", worker("slow"), "--once", "--sync", "github")
    assert "commented" not in again.stdout
    assert [
        c["body"].splitlines()[0] for c in json.loads(gh_state.read_text())["issues"][0]["comments"]
    ] == ["<!-- agentmd:plan -->"]
