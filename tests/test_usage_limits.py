"""Usage limits are not failures: the worker's host says it hit a limit, the task is released
without counting an attempt, and no worker starts until the reset time it read (or a back-off)."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from zoneinfo import ZoneInfo

import pytest

from agentmd.loop import limits
from agentmd.workspace.folder import Workspace
from conftest import git, run_agentmd
from loopkit import loop_env, make_plan, status_of, worker

NOW = dt.datetime(2026, 12, 1, 10, 0, 0).astimezone().timestamp()


def _until(hour: int, minute: int, zone: str) -> float:
    """Seconds from NOW to the next hour:minute on the clock of `zone`."""
    at = dt.datetime.fromtimestamp(NOW, ZoneInfo(zone)).replace(hour=hour, minute=minute)
    if at.timestamp() <= NOW:
        at += dt.timedelta(days=1)
    return at.timestamp() - NOW


def _on(year: int, month: int, day: int, hour: int, minute: int, zone: str = "") -> float:
    """Seconds from NOW to that time, on the clock of `zone` (else the local one)."""
    at = dt.datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(zone) if zone else None)
    return at.timestamp() - NOW


@pytest.mark.parametrize(
    ("message", "seconds"),
    [
        ("Claude AI usage limit reached|1764600000", 1764600000 - NOW),
        ("5-hour limit reached ∙ resets 3pm", 5 * 3600),
        # the zone Claude Code names is the zone of the clock time, not this machine's
        ("You've hit your limit · resets 9am (Europe/Paris)", _until(9, 0, "Europe/Paris")),
        ("Claude usage limit reached. Your limit will reset at 5pm (UTC).", _until(17, 0, "UTC")),
        # Codex: "try again at", with minutes and a capital PM
        (
            "You've hit your usage limit. Visit https://chatgpt.com/codex/settings/usage to "
            "purchase more credits or try again at 3:28 PM.",
            5 * 3600 + 28 * 60,
        ),
        ("You've hit your limit · resets 9am (Mars/Olympus)", 23 * 3600),  # unknown: local
        # claude -p's messages (anthropics/claude-code#86272, slopus/happy#465)
        ("You've hit your session limit · resets 3:50pm (Asia/Tokyo)",
         _until(15, 50, "Asia/Tokyo")),
        ("You've reached your usage limit. Try again after your limit resets.", None),
        # a weekly limit's day or date (anthropics/claude-code#65802, #92834, #16618;
        # openai/codex#39603, #26668): NOW is Tuesday 1 December 2026
        ("You've hit your weekly limit · resets Mon 9am", _on(2026, 12, 7, 9, 0)),
        ("You've hit your weekly limit · resets Tue 9am", _on(2026, 12, 8, 9, 0)),
        ("You've hit your weekly limit · resets Dec 5, 4pm (Europe/Rome)",
         _on(2026, 12, 5, 16, 0, "Europe/Rome")),
        ("You've hit your weekly limit · resets Dec 3 at 7pm", _on(2026, 12, 3, 19, 0)),
        ("You've hit your weekly limit · resets Jan 2, 10:59am (America/New_York)",
         _on(2027, 1, 2, 10, 59, "America/New_York")),
        ("You've hit your usage limit. Upgrade to Plus to continue using Codex, or try again at "
         "Dec 4th, 2026 8:19 PM.", _on(2026, 12, 4, 20, 19)),
        ("You've hit your usage limit... or try again at Dec 6, 2026, 7:38 AM",
         _on(2026, 12, 6, 7, 38)),
        ("You've hit your usage limit. Try again in 5 days 22 hours 11 minutes.",
         5 * 86400 + 22 * 3600 + 11 * 60),
        ("You've hit your weekly limit · resets Feb 30, 1pm", None),  # no such day
        ("You've hit your weekly limit · resets Jan 1, 0001, 1am", None),  # no such clock
        ("You've hit your limit · resets 4pm (A" + "/b" * 300 + ")", None),
        # a day of the month is not an hour (openai/codex#28089)
        ("You've hit your usage limit... try again at 10 de jul. de 2026, 11:52.", None),
        ("You've hit your usage limit. Try again in 2 hours 5 minutes.", 2 * 3600 + 300),
        ("API Error: 429 Too Many Requests; retry-after: 30", 30),
        ("Rate limit reached for requests", None),
    ],
)
def test_the_reset_time_is_read_from_the_hosts_message(repo, message, seconds):
    make_plan(repo, {"a": []})
    assert limits.match(Workspace(repo), f"working...\n{message}\n") == message
    reset = limits.reset_time(message, NOW)
    assert (reset - NOW if reset is not None else None) == seconds


def test_a_limit_in_a_json_report_is_read_as_the_hosts_own_words(repo):
    """`claude -p --output-format json` (the worker line setup prints) ends with one JSON object
    whose `result` holds the message; Codex's `exec --json` an error event."""
    make_plan(repo, {"a": []})
    ws = Workspace(repo)
    claude = json.dumps({"type": "result", "subtype": "success", "is_error": True,
                         "result": "You've hit your limit · resets 3pm (UTC)",
                         "total_cost_usd": 0, "usage": {"input_tokens": 0}}, ensure_ascii=False)
    assert limits.match(ws, f"{claude}\n") == "You've hit your limit · resets 3pm (UTC)"
    codex = json.dumps({"type": "turn.failed", "error": {"message": (
        "You've hit your usage limit. Visit https://chatgpt.com/codex/settings/usage to purchase "
        "more credits or try again at 3:28 PM.")}})  # fmt: skip
    assert limits.match(ws, codex).startswith("You've hit your usage limit. Visit ")
    plain = '{"note": "rate limited", "n": 1}'  # nothing of the host's own: the line itself
    assert limits.match(ws, plain) == plain


def test_an_ordinary_failure_is_not_a_limit_and_plan_md_can_name_its_own(repo):
    make_plan(repo, {"a": []}, extra='limit_patterns: ["out of credits"]\n')
    ws = Workspace(repo)
    assert limits.match(ws, "Traceback\nRuntimeError: boom") is None
    assert limits.match(ws, "usage limit reached") is None  # the plan's list replaces the defaults
    assert limits.match(ws, "error: out of credits until 4pm") == "error: out of credits until 4pm"


def test_without_a_reset_time_the_pause_backs_off_doubling(repo):
    make_plan(repo, {"a": []})
    ws = Workspace(repo)
    assert limits.pause(ws, "rate limited", now=NOW).until == NOW + 60
    assert limits.pause(ws, "rate limited", now=NOW).until == NOW + 120
    limits.clear(ws)
    assert limits.pause(ws, "rate limited", now=NOW).until == NOW + 60


def test_a_weekly_limit_pauses_until_its_date_and_a_date_past_or_too_far_backs_off(repo):
    make_plan(repo, {"a": []})
    ws = Workspace(repo)
    weekly = "You've hit your weekly limit · resets Mon 9am"
    until = limits.pause(ws, weekly, now=NOW).until
    assert until == NOW + _on(2026, 12, 7, 9, 0)
    assert limits.when(until, now=NOW) == "2026-12-07 09:00:00"  # the loop's "starts until"
    assert limits.when(NOW + 3600, now=NOW) == "11:00:00"  # today: the time alone
    limits.clear(ws)
    # the message of a limit that has already reset: no year given, so the next Dec 1 is a
    # year away, which is no weekly limit
    assert limits.pause(ws, "weekly limit reached · resets Dec 1, 9am", now=NOW).until == NOW + 60
    # a date with its year, gone by (openai/codex#39603's stale message)
    stale = "You've hit your usage limit, or try again at Aug 20, 2026, 7:38 AM"
    assert limits.pause(ws, stale, now=NOW).until == NOW + 120


@pytest.mark.slow
def test_a_worker_stopped_by_a_usage_limit_is_released_uncounted_and_retried_after_the_reset(
    repo, tmp_path
):
    make_plan(repo, {"a": []}, max_attempts=1)
    env = {
        **loop_env(),
        "FAKE_WORKER_STATE": str(tmp_path),
        "FAKE_WORKER_LIMIT": "You've hit your usage limit. Try again in 2 seconds.",
    }
    result = run_agentmd(
        repo, "run", "--worker", worker("limit"), "--until-done", "--max-sleep", "1",
        env=env, timeout=90,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[1].startswith(
        "pause a: its worker hit a usage limit (You've hit your usage limit. Try again in 2 "
        "seconds.); released, no attempt counted; no worker starts until "
    )
    assert lines[2].startswith("start a: attempt 1,")  # still attempt 1: none was counted
    assert lines[-1] == "every task is done"
    assert status_of(repo, "a") == "done"
    text = (repo / ".agents/tasks/a.md").read_text()
    assert "## Attempts" not in text and "attempts:" not in text and "status: done" in text
    assert (
        "release a: its worker hit a usage limit:" in (repo / ".agents/memory/log.md").read_text()
    )
    assert not (repo / ".agents/.cache/limit.json").exists()  # cleared once a worker got through
    # the limited start's log is kept beside (the attempt started again under its number)
    kept = repo / ".agents/.cache/runs/a/attempt-1.limit-1.log"
    assert "You've hit your usage limit. Try again in 2 seconds." in kept.read_text()


@pytest.mark.slow
def test_a_loop_killed_mid_pause_keeps_the_pause_when_started_again(repo, tmp_path):
    make_plan(repo, {"a": []})
    (tmp_path / "state").mkdir()
    env = {
        **os.environ,
        **loop_env(),
        "FAKE_WORKER_STATE": str(tmp_path / "state"),
        "FAKE_WORKER_LIMIT": "Claude usage limit reached. Your limit will reset at 3pm",
    }
    loop = subprocess.Popen(
        [sys.executable, "-m", "agentmd", "run", "--worker", worker("limit"), "--until-done"],
        cwd=repo,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    state = repo / ".agents/.cache/limit.json"
    deadline = time.time() + 60
    while not (state.exists() and status_of(repo, "a") == "todo") and time.time() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)  # asleep now, waiting for 3pm
    loop.kill()  # SIGKILL mid-sleep
    loop.wait()
    paused = json.loads(state.read_text())
    reset = dt.datetime.fromtimestamp(paused["until"]).astimezone()
    assert (reset.hour, reset.minute) == (15, 0)
    shown = "%H:%M:%S" if reset.date() == dt.date.today() else "%Y-%m-%d %H:%M:%S"  # after 3pm
    assert status_of(repo, "a") == "todo"
    # The loop started again starts nothing until then, and says so once.
    result = run_agentmd(repo, "run", "--worker", worker("limit"), "--once", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        "wait: a worker hit a usage limit (Claude usage limit reached. Your limit will reset "
        f"at 3pm); no worker starts until {reset.strftime(shown)}\n"
    )
    assert status_of(repo, "a") == "todo"
    assert "attempts:" not in (repo / ".agents/tasks/a.md").read_text()
    assert git(repo, "status", "--porcelain", "--untracked-files=no") == ""
    assert os.listdir(tmp_path / "state") == ["limited-a"]  # the worker ran once
