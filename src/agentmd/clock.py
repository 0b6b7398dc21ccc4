"""Time, in one place: the clock (`AGENTMD_NOW` pins it), the stamps agentmd writes and reads,
durations such as `2h` or `1h30m`, and when a lease expires.

datetime is imported where it is used: the commit hook imports this module and needs no clock.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

from agentmd.errors import AgentmdError

if TYPE_CHECKING:
    import datetime as dt

# Days, hours, minutes, seconds, in that order, each optional: 2h, 30m, 1d, 1h30m, 90s.
DURATION_RE = re.compile(
    r"\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*(?:(\d+)\s*s)?\s*\Z", re.I
)
DURATION_HINT = "write numbers with units d, h, m, s in that order, e.g. 90s, 30m, 2h, 1d or 1h30m"
STAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def now() -> dt.datetime:
    """The clock, in UTC to the second (AGENTMD_NOW pins it, for tests and replays)."""
    import datetime as dt

    pinned = os.environ.get("AGENTMD_NOW")
    if pinned:
        return dt.datetime.fromisoformat(pinned.replace("Z", "+00:00")).astimezone(dt.UTC)
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def stamp(moment: dt.datetime | None = None) -> str:
    """A moment as agentmd writes it in files: `2026-11-20T10:00:00Z`."""
    return (moment or now()).strftime(STAMP_FORMAT)


def today() -> str:
    """The date part of `now`, as file names and `created:` carry it."""
    return now().date().isoformat()


def parse_stamp(text: object) -> dt.datetime | None:
    """A written moment, in UTC (a moment without a zone is taken as UTC); None if not one."""
    import datetime as dt

    try:
        moment = dt.datetime.fromisoformat(str(text).strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def parse_duration(text: object) -> dt.timedelta | None:
    """`30m`, `2h`, `1d`, `1h30m` as a timedelta; None when the text is not a duration."""
    match = DURATION_RE.match(str(text))
    if match is None or not any(match.groups()):
        return None
    import datetime as dt

    days, hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return dt.timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def duration(text: str, what: str) -> dt.timedelta:
    """A duration the user must have written right (a plan setting or an option)."""
    value = parse_duration(text)
    if value is None:
        raise AgentmdError(f"{what} '{text}' is not a duration", DURATION_HINT)
    return value


def expiry(claimed_at: dt.datetime | None, lease: dt.timedelta | None) -> dt.datetime | None:
    """When a claim made at `claimed_at` with `lease` expires; None when it never does."""
    if claimed_at is None or lease is None:
        return None
    return claimed_at + lease


def expired(expires: dt.datetime | None, moment: dt.datetime) -> bool:
    """Whether a claim that expires at `expires` has expired at `moment` (the end included)."""
    return expires is not None and expires <= moment


def human(delta: dt.timedelta) -> str:
    """`3h05m`, `25m`, `40s`: short and exact enough for a board."""
    seconds = max(0, int(delta.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d{hours:02d}h"
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m"
    return f"{secs}s"
