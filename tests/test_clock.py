"""clock.py: the one clock, stamps, durations and lease expiry that check, status and the loop
share."""

from __future__ import annotations

import datetime as dt

from agentmd import clock
from agentmd.checks import fields
from agentmd.workspace.records import PLAN_DEFAULTS, Settings

UTC = dt.UTC


def test_agentmd_now_pins_the_clock_and_a_stamp_round_trips(monkeypatch):
    monkeypatch.setenv("AGENTMD_NOW", "2026-11-22T10:00:00Z")
    assert clock.now() == dt.datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
    assert clock.stamp() == "2026-11-22T10:00:00Z"
    assert clock.today() == "2026-11-22"
    assert clock.parse_stamp(clock.stamp()) == clock.now()


def test_a_stamp_without_a_zone_is_utc_and_one_with_a_zone_is_converted():
    assert clock.parse_stamp("2026-11-20T10:00:00") == dt.datetime(2026, 11, 20, 10, tzinfo=UTC)
    assert clock.parse_stamp(" 2026-11-20T12:00:00+02:00 ") == dt.datetime(
        2026, 11, 20, 10, tzinfo=UTC
    )
    assert clock.parse_stamp("yesterday") is None


def test_a_lease_expires_at_its_end_exactly():
    claimed = dt.datetime(2026, 11, 20, 10, tzinfo=UTC)
    ends = clock.expiry(claimed, clock.parse_duration("2h"))
    assert ends == dt.datetime(2026, 11, 20, 12, tzinfo=UTC)
    assert not clock.expired(ends, ends - dt.timedelta(seconds=1))
    assert clock.expired(ends, ends)
    assert clock.expiry(claimed, None) is None and not clock.expired(None, ends)


def test_check_and_the_board_agree_on_when_a_lease_expired():
    """fields.lease_expired (check) and lease.Claim.stale (status, the loop) use one rule."""
    settings = Settings.from_fields(dict(PLAN_DEFAULTS))
    task = {"status": "active", "claimed_by": "bob", "claimed_at": "2026-11-20T10:00:00Z"}
    lines = {"claimed_at": 6}
    end = dt.datetime(2026, 11, 20, 12, tzinfo=UTC)
    before = fields.lease_expired("t.md", task, lines, settings, end - dt.timedelta(seconds=1))
    at_end = fields.lease_expired("t.md", task, lines, settings, end)
    assert before == []
    assert [p.code for p in at_end] == ["lease-expired"]
    assert at_end[0].message == "the claim by bob at 2026-11-20T10:00:00Z expired after 2h"


def test_a_duration_the_user_must_write_right_says_how():
    import pytest

    from agentmd.errors import AgentmdError

    assert clock.duration("1h30m", "worker_timeout") == dt.timedelta(minutes=90)
    with pytest.raises(AgentmdError) as raised:
        clock.duration("soon", "worker_timeout")
    assert raised.value.message == "worker_timeout 'soon' is not a duration"
    assert raised.value.hint == clock.DURATION_HINT


def test_human_durations_are_short():
    assert [clock.human(dt.timedelta(seconds=s)) for s in (40, 1500, 11100, 90000)] == [
        "40s",
        "25m",
        "3h05m",
        "1d01h",
    ]
