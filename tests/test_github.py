"""GitHub in and out through a fake `gh` on PATH: it answers from a recorded state file and
records each call, so nothing reaches the network. Issues in as tasks, status back as marked
comments (a second sync posts nothing), never closed by a failure, and gh missing,
rate-limited or failing as one clear line."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from conftest import cli, git

FAKE = Path(__file__).resolve().parent / "fake_gh" / "gh.py"
FIELDS = "number,title,body,labels,state,assignees"
ISSUES = [
    {"number": 12, "title": "Add --json to list", "body": "Print JSON.", "state": "OPEN",
     "labels": [{"name": "agentmd"}], "assignees": [{"login": "ana"}], "comments": []},
    {"number": 13, "title": "Unrelated", "body": "", "state": "OPEN",
     "labels": [{"name": "bug"}], "assignees": [], "comments": []},
    {"number": 9, "title": "Old", "body": "", "state": "CLOSED",
     "labels": [{"name": "agentmd"}], "assignees": [], "comments": []},
]  # fmt: skip


class FakeGh:
    def __init__(self, folder: Path):
        self.folder = folder

    def state(self) -> dict:
        return json.loads((self.folder / "state.json").read_text())

    def calls(self) -> list[list[str]]:
        log = self.folder / "calls.jsonl"
        if not log.exists():
            return []
        return [json.loads(line)["args"] for line in log.read_text().splitlines()]

    def stdins(self) -> list[str]:
        log = self.folder / "calls.jsonl"
        return [json.loads(line)["stdin"] for line in log.read_text().splitlines()]

    def issue(self, number: int) -> dict:
        return next(i for i in self.state()["issues"] if i["number"] == number)


@pytest.fixture
def fake_gh(tmp_path, monkeypatch) -> FakeGh:
    folder = tmp_path / "fake-gh"
    bin_dir = folder / "bin"
    bin_dir.mkdir(parents=True)
    script = bin_dir / "gh"
    script.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{FAKE}" "$@"\n')
    script.chmod(0o755)
    (folder / "state.json").write_text(json.dumps({"issues": ISSUES, "pulls": {}}))
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_GH_DIR", str(folder))
    return FakeGh(folder)


HANDOFF = """\
---
task: gh-12
status: done
base: {base}
---
## Summary

Added `--json` to `agentmd list`. Second sentence.
"""


def import_issues(repo: Path) -> None:
    assert cli(repo, "init").exit_code == 0
    result = cli(repo, "import", "github", "--label", "agentmd")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "imported 1 task(s) from github: 1 new, 0 updated, 0 unchanged (0 done in the source)\n"
    )


def test_import_github_takes_the_open_issues_with_the_label(repo, fake_gh):
    import_issues(repo)
    assert fake_gh.calls() == [
        ["issue", "list", "--state", "open", "--limit", "1000", "--json", FIELDS,
         "--label", "agentmd"],
    ]  # fmt: skip
    text = (repo / ".agents/tasks/gh-12.md").read_text()
    assert text.startswith(
        "---\ntitle: Add --json to list\nstatus: todo\npriority: medium\ndepends_on: []\n"
        "tags: [agentmd]\nsource: github#12\nimported_as: todo\n"
        f"planned_at: {git(repo, 'rev-parse', 'HEAD').strip()}\n---\n## Goal\n\nPrint JSON.\n"
    )
    assert not (repo / ".agents/tasks/gh-13.md").exists()
    assert cli(repo, "import", "github", "--label", "agentmd").stdout.endswith(
        "1 unchanged (0 done in the source)\n"
    )


def test_sync_posts_the_plan_then_the_done_summary_then_closes_and_is_idempotent(repo, fake_gh):
    import_issues(repo)
    first = cli(repo, "sync", "github")
    assert first.exit_code == 0, first.output
    assert first.stdout == "commented on #12: the plan (1 task(s))\n"
    assert fake_gh.issue(12)["comments"] == [
        {"body": "<!-- agentmd:plan -->\nagentmd's plan for this issue (1 task(s)):\n\n"
                 "- [ ] `gh-12` Add --json to list\n"},
    ]  # fmt: skip
    again = cli(repo, "sync", "github")
    assert again.stdout == "nothing new to report\n"
    assert fake_gh.calls()[-1] == ["issue", "view", "12", "--json", "state,comments"]
    task = repo / ".agents/tasks/gh-12.md"
    task.write_text(task.read_text().replace("status: todo", "status: done"))
    (repo / ".agents/handoffs").mkdir(exist_ok=True)
    (repo / ".agents/handoffs/2026-11-20-gh-12.md").write_text(HANDOFF.format(base="HEAD"))
    done = cli(repo, "sync", "github")
    assert done.exit_code == 0, done.output
    assert done.stdout == "commented on #12: gh-12 done\nclosed #12: all 1 task(s) done\n"
    comments = [c["body"] for c in fake_gh.issue(12)["comments"]]
    assert comments[1] == (
        "<!-- agentmd:done:gh-12 -->\nDone: `gh-12` Add --json to list\n\n"
        "Added `--json` to `agentmd list`.\n"
    )
    assert fake_gh.issue(12)["state"] == "CLOSED"
    assert fake_gh.calls()[-1][:3] == ["issue", "close", "12"]
    calls = len(fake_gh.calls())
    assert cli(repo, "sync", "github").stdout == "nothing new to report\n"
    assert len(fake_gh.calls()) == calls + 1  # one read, nothing posted


def test_sync_dry_run_prints_the_calls_and_posts_nothing(repo, fake_gh):
    import_issues(repo)
    result = cli(repo, "sync", "github", "--dry-run")
    assert result.exit_code == 0
    assert result.stdout == (
        "gh issue comment 12 --body-file - <<'BODY'\n<!-- agentmd:plan -->\n"
        "agentmd's plan for this issue (1 task(s)):\n\n- [ ] `gh-12` Add --json to list\nBODY\n"
    )
    assert fake_gh.issue(12)["comments"] == []
    assert [c[:2] for c in fake_gh.calls()] == [["issue", "list"], ["issue", "view"]]


def test_an_issue_is_never_closed_while_one_of_its_tasks_failed(repo, fake_gh):
    import_issues(repo)
    task = repo / ".agents/tasks/gh-12.md"
    text = task.read_text()
    task.write_text(text.replace("status: todo", "status: done"))
    other = repo / ".agents/tasks/gh-12-tests.md"
    other.write_text(
        text.replace("title: Add --json to list", "title: Tests for it")
        .replace("status: todo", "status: failed")
        .replace("source: github#12", "source: github#12/tests")
    )
    result = cli(repo, "sync", "github")
    assert result.exit_code == 0, result.output
    assert "commented on #12: gh-12 done\n" in result.stdout
    assert "closed" not in result.stdout
    assert fake_gh.issue(12)["state"] == "OPEN"


@pytest.mark.parametrize(
    ("mode", "line"),
    [
        (
            "ratelimit",
            "agentmd: error: gh issue view: GitHub's rate limit: GraphQL: API rate limit "
            "exceeded for user ID 1. (graphql)\n  hint: wait for the limit to reset",
        ),
        (
            "fail",
            "agentmd: error: gh issue view failed: HTTP 502: Bad Gateway "
            "(https://api.github.com/graphql)\n",
        ),
        (
            "auth",
            "agentmd: error: gh is not logged in: To get started with GitHub CLI, please "
            "run:  gh auth login\n  hint: run 'gh auth login'\n",
        ),
    ],
)
def test_a_failing_gh_is_one_clear_line_and_exit_2(repo, fake_gh, monkeypatch, mode, line):
    import_issues(repo)
    before = (repo / ".agents/tasks/gh-12.md").read_text()
    monkeypatch.setenv("FAKE_GH_MODE", mode)
    result = cli(repo, "sync", "github")
    assert result.exit_code == 2
    assert result.stderr.startswith(line)
    assert "Traceback" not in result.output
    assert (repo / ".agents/tasks/gh-12.md").read_text() == before


def test_gh_missing_from_path(repo, monkeypatch, tmp_path):
    assert cli(repo, "init").exit_code == 0
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    result = cli(repo, "import", "github", "--label", "agentmd")
    assert result.exit_code == 2
    assert result.stderr == (
        "agentmd: error: gh (the GitHub CLI) is not installed or not on PATH\n"
        "  hint: install it (https://cli.github.com) and run 'gh auth login'\n"
    )
    assert list((repo / ".agents/tasks").glob("*.md")) == []


def test_import_github_decompose_writes_the_models_tasks_linked_to_the_issue(
    example, fake_gh, fake_api, monkeypatch
):
    from fake_anthropic import tool_use

    monkeypatch.setenv("AGENTMD_NOW", "2026-11-22T09:30:00Z")
    answer = [
        {"id": "json-flag", "title": "Add the --json flag", "priority": "high", "depends_on": [],
         "inputs": [], "outputs": ["src/tally/cli.py"], "verify": ["python -m pytest -q"],
         "goal": "A --json flag.", "acceptance": ["prints JSON"]},
        {"id": "json-docs", "title": "Document --json", "priority": "low",
         "depends_on": ["json-flag", "tokenizer"], "inputs": [], "outputs": ["README.md"],
         "verify": ["grep -q -- --json README.md"], "goal": "Say so.",
         "acceptance": ["documented"]},
    ]  # fmt: skip
    fake_api.messages = [tool_use("write_tasks", {"tasks": answer})]
    result = cli(example, "import", "github", "--label", "agentmd", "--decompose")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "imported 2 task(s) from github: 2 new, 0 updated, 0 unchanged (0 done in the source)\n"
    )
    docs = (example / ".agents/tasks/json-docs.md").read_text()
    assert "depends_on: [json-flag, tokenizer]\n" in docs
    assert "source: github#12/json-docs\n" in docs
    assert "outputs: [README.md]\n" in docs
    assert "- issue: #12 (decomposed)\n" in docs
    assert len(fake_api.calls("/v1/messages")) == 1
    assert "GitHub issue #12: Add --json to list" in str(fake_api.requests[0].body["messages"])
    again = cli(example, "import", "github", "--label", "agentmd", "--decompose")
    assert again.exit_code == 0, again.output
    assert len(fake_api.calls("/v1/messages")) == 1  # an issue decomposed before is not sent again
    assert "no longer" not in again.output
    assert again.stdout.startswith("imported 0 task(s) from github")
    sync = cli(example, "sync", "github", "--dry-run")
    assert "agentmd's plan for this issue (2 task(s)):" in sync.stdout
