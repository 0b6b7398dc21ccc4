"""`agentmd run --merge pr --review`: the model review's findings (the local fake Anthropic API)
posted on the pull request as a comment through the fake `gh`, with the exact calls made; and a
rate-limited or failing `gh` on the pull request's path, said in one line, the loop going on."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from conftest import git, run_agentmd
from fake_anthropic import tool_use
from loopkit import loop_env, make_plan, status_of, worker
from test_pull_requests import PR, run, with_origin
from test_pull_requests import gh_state as fake_gh

pytestmark = pytest.mark.slow
FINDING = {"severity": "minor", "path": "out/a.txt", "line": 1, "message": "no newline check"}


@pytest.fixture
def gh_state(tmp_path, monkeypatch):
    """test_pull_requests' fake gh on PATH, with one issue and no pull request."""
    return fake_gh.__wrapped__(tmp_path, monkeypatch)


def calls(gh_state) -> list[dict]:
    lines = (gh_state.parent / "calls.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def test_the_model_reviews_findings_are_a_comment_on_the_pull_request(
    repo, tmp_path, gh_state, fake_api
):
    with_origin(repo, tmp_path)
    fake_api.messages = [tool_use("report_review", {"summary": "Fine.", "findings": [FINDING]})]
    make_plan(repo, {"a": []}, extra="merge: pr\n")
    result = run(repo, "--worker", worker("good"), "--review", "--until-done")
    assert result.returncode == 1, result.stdout + result.stderr
    assert (
        f"propose a: verify passed, handoff valid; pull request {PR} (merge: pr); the model "
        "review's findings in a comment\n" in result.stdout
    )
    (findings,) = (repo / ".agents/reviews").glob("*-a.md")
    rel = f".agents/reviews/{findings.name}"
    made = calls(gh_state)
    assert [c["args"] for c in made] == [
        ["pr", "create", "--head", "agentmd/a", "--title", "Write a (a)", "--base", "main",
         "--body-file", "-"],
        ["pr", "comment", PR, "--body-file", "-"],
        ["pr", "view", PR, "--json", "state,comments"],  # the next cycle: still open
    ]  # fmt: skip
    assert made[0]["stdin"].startswith("agentmd task `a`: Write a\n\n## Summary\n")
    assert made[1]["stdin"] == (
        f"agentmd's model review of `a` (`{rel}`):\n\n## Summary\n\nFine.\n\n## Findings\n\n"
        "- minor `out/a.txt:1`: no newline check\n"
    )
    pull = json.loads(gh_state.read_text())["pulls"]["1"]
    assert [c["body"] for c in pull["comments"]] == [made[1]["stdin"]]
    assert status_of(repo, "a") == "review"
    assert f"pull_request: {PR}\n" in (repo / ".agents/tasks/a.md").read_text()


def test_without_a_model_review_no_comment_is_posted(repo, tmp_path, gh_state):
    with_origin(repo, tmp_path)
    make_plan(repo, {"a": []}, extra="merge: pr\n")
    result = run(repo, "--worker", worker("good"), "--until-done")
    assert f"pull request {PR} (merge: pr)\n" in result.stdout
    assert [c["args"][:2] for c in calls(gh_state)] == [["pr", "create"], ["pr", "view"]]


@pytest.mark.parametrize(
    ("mode", "said"),
    [
        (
            "ratelimit",
            "gh: gh pr create: GitHub's rate limit: GraphQL: API rate limit exceeded for user "
            "ID 1. (graphql); the loop goes on without it",
        ),
        (
            "fail",
            "gh: gh pr create failed: HTTP 502: Bad Gateway (https://api.github.com/graphql); "
            "the loop goes on without it",
        ),
    ],
)
def test_a_rate_limited_or_failing_gh_leaves_the_branch_pushed_and_waiting(
    repo, tmp_path, gh_state, monkeypatch, mode, said
):
    origin = with_origin(repo, tmp_path)
    monkeypatch.setenv("FAKE_GH_MODE", mode)
    make_plan(repo, {"a": [], "b": []}, extra="merge: pr\n")
    result = run(repo, "--worker", worker("good"), "--until-done")
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout.count(said + "\n") == 1  # once, not once a task or a cycle
    for task in ("a", "b"):
        assert (
            f"await {task}: verify passed, handoff valid; agentmd/{task} pushed, no pull "
            "request: open one or merge it by hand\n" in result.stdout
        )
        assert status_of(repo, task) == "review"
        text = (repo / f".agents/tasks/{task}.md").read_text()
        assert f"awaiting_merge: agentmd/{task}\n" in text
    assert "refs/heads/agentmd/a" in git(origin, "show-ref")
    assert [c["args"][:2] for c in calls(gh_state)] == [["pr", "create"], ["pr", "create"]]


def test_a_comment_gh_refuses_keeps_the_pull_request_it_opened(repo, tmp_path, gh_state, fake_api):
    with_origin(repo, tmp_path)
    fake_api.messages = [tool_use("report_review", {"summary": "Fine.", "findings": [FINDING]})]
    state = json.loads(gh_state.read_text())
    state["fail_comments"] = True
    gh_state.write_text(json.dumps(state))
    make_plan(repo, {"a": []}, extra="merge: pr\n")
    result = run(repo, "--worker", worker("good"), "--review", "--until-done")
    assert (
        "gh: gh pr comment failed: HTTP 502: Bad Gateway (https://api.github.com/graphql); the "
        "loop goes on without it\n" in result.stdout
    )
    assert (
        f"propose a: verify passed, handoff valid; pull request {PR} (merge: pr); the model "
        "review's findings could not be posted (see .agents/reviews/)\n" in result.stdout
    )
    assert f"pull_request: {PR}\n" in (repo / ".agents/tasks/a.md").read_text()
    assert status_of(repo, "a") == "review"


@pytest.mark.parametrize("mode", ["missing", "ratelimit"])
def test_sync_github_each_cycle_without_a_working_gh_is_one_line_and_the_loop_goes_on(
    repo, tmp_path, gh_state, monkeypatch, mode
):
    make_plan(repo, {"a": [], "b": []})
    task = repo / ".agents/tasks/a.md"
    task.write_text(
        task.read_text().replace(
            "created: 2026-11-20\n", "created: 2026-11-20\nsource: github#12\n"
        )
    )
    git(repo, "commit", "-qam", "linked to #12")
    env = loop_env()
    if mode == "missing":  # every folder of PATH but those holding a gh
        paths = os.environ["PATH"].split(os.pathsep)
        kept = [d for d in paths if d and not (Path(d) / "gh").exists()]
        env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), *kept])
        said = (
            "gh: gh (the GitHub CLI) is not installed or not on PATH; the loop goes on without it"
        )
    else:
        monkeypatch.setenv("FAKE_GH_MODE", mode)
        said = (
            "gh: gh issue view: GitHub's rate limit: GraphQL: API rate limit exceeded for user "
            "ID 1. (graphql); the loop goes on without it"
        )
    result = run_agentmd(
        repo, "run", "--worker", worker("good"), "--until-done", "--sync", "github", env=env,
        timeout=90,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count(said + "\n") == 1, result.stdout
    assert status_of(repo, "a") == "done"
    assert status_of(repo, "b") == "done"
