"""`agentmd verify` records the outcome in the task; `agentmd done` refuses without a pass at HEAD
and a valid handoff, unless forced (and then it says so in the log)."""

from __future__ import annotations

import re

import pytest

from agentmd.tasks.verification import run_verify
from agentmd.workspace.folder import Workspace
from conftest import TOKENIZER_HANDOFF as HANDOFF
from conftest import base_of, cli, git


def set_verify(repo, *commands):
    path = repo / ".agents/tasks/tokenizer.md"
    lines = "".join(f"  - {c}\n" for c in commands)
    path.write_text(
        re.sub(r"verify:\n(?:  - .*\n)+", lambda _: "verify:\n" + lines, path.read_text())
    )
    return path


@pytest.fixture
def claimed(example, monkeypatch):
    monkeypatch.setenv("AGENTMD_NOW", "2026-11-21T08:00:00Z")
    set_verify(example, "test -f src/tally/tokenize.py")
    assert cli(example, "claim", "tokenizer").exit_code == 0
    git(example, "add", "-A")
    git(example, "commit", "-q", "-m", "claim")
    (example / "src/tally").mkdir(parents=True)
    (example / "src/tally/tokenize.py").write_text("def words(text):\n    return text.split()\n")
    git(example, "add", "-A")
    git(example, "commit", "-q", "-m", "work")
    return example


def head(repo):
    return git(repo, "rev-parse", "HEAD").strip()


def test_verify_records_commit_time_and_exit_codes_and_keeps_every_other_byte(claimed):
    path = set_verify(claimed, "test -f src/tally/tokenize.py", "echo out; echo boom >&2; exit 4")
    before = path.read_text()
    result = cli(claimed, "verify", "tokenizer")
    assert result.exit_code == 1
    assert result.stdout == (
        "ok   exit 0  test -f src/tally/tokenize.py\n"
        "FAIL exit 4  echo out; echo boom >&2; exit 4\n"
        "     | out\n"
        "     | boom\n"
        f"tokenizer: verify failed (1 of 2) at {head(claimed)[:12]}; "
        "recorded in .agents/tasks/tokenizer.md\n"
    )
    after = path.read_text()
    front_end = before.index("---\n", 4)
    assert after == (
        before[:front_end]
        + f"verified_commit: {head(claimed)}\nverified_at: "
          "2026-11-21T08:00:00Z\nverify_exit: [0, 4]\n"
        + "verified_clean: true\n"
        + before[front_end:]
    )
    assert cli(claimed, "verify", "tokenizer").exit_code == 1
    assert path.read_text() == after  # a second run edits the same lines in place


def test_run_verify_gives_a_frozen_outcome_with_one_problem_line_per_failure(claimed):
    set_verify(claimed, "exit 0", "printf 'a\\nlast words\\n'; exit 2")
    ws = Workspace.find(claimed)
    outcome = run_verify(ws, ws.task("tokenizer"), record=False)
    assert not outcome.passed
    assert outcome.commit == head(claimed)
    assert [(r.command, r.exit_code) for r in outcome.results] == [
        ("exit 0", 0),
        ("printf 'a\\nlast words\\n'; exit 2", 2),
    ]
    assert outcome.problems() == ["`printf 'a\\nlast words\\n'; exit 2` exited 2: last words"]
    assert "verified_at" not in (claimed / ".agents/tasks/tokenizer.md").read_text()


def test_a_command_that_runs_too_long_is_stopped(claimed):
    plan = claimed / ".agents/plan.md"
    plan.write_text(plan.read_text().replace("lease: 2h\n", "lease: 2h\nverify_timeout: 0.5\n"))
    set_verify(claimed, "sleep 5")
    ws = Workspace.find(claimed)
    outcome = run_verify(ws, ws.task("tokenizer"), record=False)
    assert outcome.problems() == ["`sleep 5` timed out (exit 124): (stopped after 0.5 s)"]


def test_done_refuses_without_a_verify_pass_or_a_handoff(claimed):
    result = cli(claimed, "done", "tokenizer")
    assert result.exit_code == 1
    assert result.stderr == (
        ".agents/tasks/tokenizer.md:8:1: error verify-not-passed: "
        "its verify commands have not been run: "
        "run 'agentmd verify tokenizer'\n"
        ".agents/tasks/tokenizer.md:3:1: error handoff-missing: "
        "task 'tokenizer' is active but has no handoff\n"
        "  hint: write one with 'agentmd handoff new "
        "tokenizer', fill it, then 'agentmd handoff check'\n"
        "agentmd: error: refused to mark 'tokenizer' done: 2 problem(s) above\n"
        "  hint: fix them; --force marks it done anyway and says so in memory/log.md\n"
    )
    assert "status: active" in (claimed / ".agents/tasks/tokenizer.md").read_text()


def test_done_accepts_after_a_pass_at_head_and_a_valid_handoff(claimed):
    assert cli(claimed, "verify", "tokenizer").exit_code == 0
    (claimed / ".agents/handoffs/2026-11-21-tokenizer.md").write_text(
        HANDOFF.format(base=base_of(claimed))
    )
    result = cli(claimed, "done", "tokenizer")
    assert result.exit_code == 0, result.output
    assert result.stdout == "done tokenizer\n"
    assert "status: done" in (claimed / ".agents/tasks/tokenizer.md").read_text()


def test_done_says_a_failed_verify_failed_wherever_it_ran(claimed):
    # (over uncommitted changes, or at an older commit, it said "the pass does not hold" or
    # "not at HEAD": there was no pass)
    set_verify(claimed, "test -f src/tally/tokenize.py", "exit 3")
    (claimed / "src/tally/tokenize.py").write_text("def words(text):\n    return []\n")
    assert cli(claimed, "verify", "tokenizer").exit_code == 1  # over uncommitted changes
    failed = (
        ".agents/tasks/tokenizer.md:8:1: error verify-not-passed: its verify commands failed "
        "(exit codes [0, 3]): fix them, commit the work and run 'agentmd verify tokenizer'\n"
    )
    assert cli(claimed, "done", "tokenizer").stderr.startswith(failed)
    git(claimed, "commit", "-qam", "later change")  # now at an older commit
    assert cli(claimed, "done", "tokenizer").stderr.startswith(failed)


def test_done_asks_again_when_the_verify_commands_changed_since_they_ran(claimed):
    assert cli(claimed, "verify", "tokenizer").exit_code == 0
    set_verify(claimed, "test -f src/tally/tokenize.py", "true")
    git(claimed, "commit", "-qam", "one more check")
    assert cli(claimed, "done", "tokenizer").stderr.startswith(
        ".agents/tasks/tokenizer.md:8:1: error verify-not-passed: its verify commands changed "
        "since they ran (1 recorded, 2 now): run 'agentmd verify tokenizer' again\n"
    )


def test_done_refuses_a_pass_recorded_at_an_older_commit(claimed):
    assert cli(claimed, "verify", "tokenizer").exit_code == 0
    old = head(claimed)
    (claimed / ".agents/handoffs/2026-11-21-tokenizer.md").write_text(
        HANDOFF.format(base=base_of(claimed))
    )
    (claimed / "src/tally/tokenize.py").write_text("def words(text):\n    return []\n")
    git(claimed, "commit", "-qam", "later change")
    result = cli(claimed, "done", "tokenizer")
    assert result.exit_code == 1
    assert result.stderr.startswith(
        ".agents/tasks/tokenizer.md:8:1: error verify-not-passed: "
        f"its verify commands ran at {old[:12]}, "
        f"not at HEAD {head(claimed)[:12]}, and files outside .agents/ changed since: "
        "run 'agentmd verify tokenizer' again\n"
    )


def test_done_force_marks_it_done_and_logs_what_it_overrode(claimed):
    result = cli(claimed, "done", "tokenizer", "--force")
    assert result.exit_code == 0
    assert result.stdout == "done tokenizer (forced; logged in memory/log.md)\n"
    log = (claimed / ".agents/memory/log.md").read_text().splitlines()[-1]
    assert log == (
        "- 2026-11-21T08:00:00Z done tokenizer: forced past 2 "
        "problem(s): its verify commands have not been run: "
        "run 'agentmd verify tokenizer'; task 'tokenizer' is active but has no handoff"
    )
