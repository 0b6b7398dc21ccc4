"""Leases, `agentmd status` and `agentmd release`."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from agentmd.clock import parse_duration
from conftest import cli

CLAIMED = {"AGENTMD_NOW": "2026-11-20T10:00:00Z"}


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30m", 1800),
        ("2h", 7200),
        ("1d", 86400),
        ("1h30m", 5400),
        ("90s", 90),
        ("1d2h3m4s", 93784),
        (" 2 h ", 7200),
    ],
)
def test_durations_are_days_hours_minutes_seconds(text, seconds):
    assert parse_duration(text) == dt.timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "2", "2x", "30m2h", "h", "-1h", "2 hours"])
def test_anything_else_is_not_a_duration(text):
    assert parse_duration(text) is None


def test_status_shows_counts_ready_active_with_owner_age_and_lease_and_blockers(example):
    assert cli(example, "claim", "tokenizer", "--as", "alice", env=CLAIMED).exit_code == 0
    result = cli(example, "status", env={"AGENTMD_NOW": "2026-11-20T10:25:00Z"})
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "tally, a word-frequency command-line tool: 6 tasks (4 todo, 1 active, 1 done)\n"
        "active (1):\n"
        "  tokenizer  by alice, 25m ago, lease 2h, 1h35m left\n"
        "blocked (4):\n"
        "  cli: depends on 'counter' (todo)\n"
        "  counter: depends on 'tokenizer' (active)\n"
        "  json-output: depends on 'cli' (todo)\n"
        "  readme-usage: depends on 'cli' (todo)\n"
    )


def test_an_expired_claim_shows_as_stale_and_check_reports_it(example):
    assert cli(example, "claim", "tokenizer", "--as", "alice", env=CLAIMED).exit_code == 0
    later = {"AGENTMD_NOW": "2026-11-20T13:10:00Z"}
    result = cli(example, "status", env=later)
    assert "  tokenizer  by alice, 3h10m ago, lease 2h expired 1h10m ago\n" in result.stdout
    assert result.stdout.endswith(
        "stale claims (1):\n  tokenizer  by alice: agentmd release tokenizer\n"
    )
    data = json.loads(cli(example, "status", "--json", env=later).stdout)
    assert data["stale"] == ["tokenizer"]
    assert data["active"] == [
        {
            "id": "tokenizer",
            "owner": "alice",
            "claimed_at": "2026-11-20T10:00:00Z",
            "age_seconds": 11400,
            "lease": "2h",
            "expires": "2026-11-20T12:00:00Z",
            "stale": True,
        }
    ]
    check = cli(example, "check", env=later)
    assert "warning lease-expired" in check.stdout


def test_release_frees_the_claim_back_to_todo_and_logs_it(example):
    assert cli(example, "claim", "tokenizer", "--as", "alice", env=CLAIMED).exit_code == 0
    before = (example / ".agents/tasks/tokenizer.md").read_text()
    result = cli(
        example,
        "release",
        "tokenizer",
        "--reason",
        "alice left",
        env={"AGENTMD_NOW": "2026-11-20T11:00:00Z"},
    )
    assert result.exit_code == 0
    assert result.stdout == "released tokenizer (was active, by alice)\n"
    after = (example / ".agents/tasks/tokenizer.md").read_text()
    kept = [
        line
        for line in before.splitlines()
        if not line.startswith(("claimed_by:", "claimed_at:", "lease:", "status:"))
    ]
    assert [line for line in after.splitlines() if not line.startswith("status:")] == kept
    assert "status: todo\n" in after
    log = (example / ".agents/memory/log.md").read_text()
    assert log.endswith("- 2026-11-20T11:00:00Z release tokenizer: alice left from alice\n")


def test_release_stale_frees_only_expired_claims(example):
    assert cli(example, "claim", "tokenizer", "--as", "alice", env=CLAIMED).exit_code == 0
    result = cli(example, "release", "--stale", env={"AGENTMD_NOW": "2026-11-20T11:00:00Z"})
    assert result.stdout == "no stale claims\n"
    result = cli(example, "release", "--stale", env={"AGENTMD_NOW": "2026-11-20T12:00:01Z"})
    assert result.stdout == "released tokenizer (was active, by alice)\n"


def test_release_of_a_task_without_a_claim_says_so(example):
    result = cli(example, "release", "counter")
    assert result.exit_code == 1
    assert result.stderr == "agentmd: error: task 'counter' is todo: there is no claim to release\n"
    assert cli(example, "release").exit_code == 2
