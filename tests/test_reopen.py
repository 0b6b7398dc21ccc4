"""The way back from failed: `agentmd reopen`, failed tasks in `status` with their last reason,
and `worktree prune` removing a failed task's worktree while keeping its branch."""

from __future__ import annotations

import json

import pytest

from conftest import cli, git


@pytest.fixture
def failed(example, monkeypatch):
    monkeypatch.setenv("AGENTMD_NOW", "2026-11-21T08:00:00Z")
    plan = example / ".agents/plan.md"
    plan.write_text(plan.read_text().replace("max_attempts: 3", "max_attempts: 1"))
    assert cli(example, "claim", "tokenizer").exit_code == 0
    result = cli(example, "fail", "tokenizer", "--reason", "`words('')` returned ['']")
    assert result.stdout == "tokenizer: attempt 1 failed, now failed\n"
    return example


def test_reopen_sends_a_failed_task_back_to_todo_keeping_its_attempts(failed):
    task = failed / ".agents/tasks/tokenizer.md"
    assert cli(failed, "claim", "tokenizer").exit_code == 1  # claim still refuses a failed task
    result = cli(failed, "reopen", "tokenizer", "--reason", "the spec was fixed")
    assert result.exit_code == 0, result.output
    assert result.stdout == "reopened tokenizer (was failed)\n"
    text = task.read_text()
    assert "status: todo\n" in text
    assert "attempts:" not in text
    assert (
        "## Attempts\n\n- Attempt 1 (2026-11-21T08:00:00Z by tester): `words('')` returned ['']"
        in (text)
    )
    log = (failed / ".agents/memory/log.md").read_text().splitlines()[-1]
    assert log == (
        "- 2026-11-21T08:00:00Z reopen tokenizer: was failed after 1 attempt(s): the spec was fixed"
    )
    assert cli(failed, "claim", "tokenizer").exit_code == 0


def test_reopen_clears_a_blocked_reason_and_refuses_other_statuses(example):
    assert cli(example, "block", "tokenizer", "--reason", "waits for the spec").exit_code == 0
    assert cli(example, "reopen", "tokenizer").exit_code == 0
    text = (example / ".agents/tasks/tokenizer.md").read_text()
    assert "status: todo\n" in text
    assert "blocked_reason" not in text
    again = cli(example, "reopen", "tokenizer")
    assert again.exit_code == 1
    assert again.stderr == (
        "agentmd: error: task 'tokenizer' is todo: only a failed or blocked task is reopened\n"
    )


def test_status_lists_failed_tasks_with_their_last_reason(failed):
    out = cli(failed, "status").stdout
    assert (
        "failed (1): agentmd reopen ID sends one back to todo\n"
        "  tokenizer: Attempt 1 (2026-11-21T08:00:00Z by tester): `words('')` returned ['']\n"
    ) in out
    data = json.loads(cli(failed, "status", "--json").stdout)
    assert data["failed"] == [
        {
            "id": "tokenizer",
            "last_attempt": "Attempt 1 (2026-11-21T08:00:00Z by tester): `words('')` returned ['']",
        }
    ]


def test_prune_removes_a_failed_tasks_worktree_and_keeps_its_branch(example):
    plan = example / ".agents/plan.md"
    plan.write_text(plan.read_text().replace("max_attempts: 3", "max_attempts: 1"))
    git(example, "commit", "-qam", "one attempt")
    assert cli(example, "claim", "tokenizer").exit_code == 0
    assert cli(example, "worktree", "tokenizer").exit_code == 0
    assert cli(example, "fail", "tokenizer", "--reason", "broken").exit_code == 0
    result = cli(example, "worktree", "prune")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "removed .agents/.cache/worktrees/tokenizer (tokenizer is failed); branch "
        "agentmd/tokenizer kept: it holds the last failed attempt (each earlier one: "
        "refs/agentmd/attempts/tokenizer/N)\n"
    )
    assert not (example / ".agents/.cache/worktrees/tokenizer").exists()
    assert "agentmd/tokenizer" in git(example, "branch", "--list")


def test_init_over_another_tools_agents_folder_says_what_was_there_and_what_it_added(repo):
    skills = repo / ".agents/skills/review"
    skills.mkdir(parents=True)
    (skills / "SKILL.md").write_text("---\nname: review\n---\nReview the diff.\n")
    (repo / ".agents/notes.txt").write_text("mine\n")
    result = cli(repo, "init")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == (
        ".agents/ exists and holds files agentmd does not write: .agents/notes.txt, "
        ".agents/skills/; they are left as they are, and agentmd adds its own beside them:"
    )
    assert "created .agents/plan.md" in lines
    assert lines[-1] == "added 9 file(s) and folder(s) to .agents/; nothing else changed"
    assert (skills / "SKILL.md").read_text() == "---\nname: review\n---\nReview the diff.\n"
    assert cli(repo, "check").exit_code == 0
