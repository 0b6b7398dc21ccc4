"""Usage limits are not failures. A worker that stops because its host hit a usage or rate
limit ("usage limit reached ... resets 3pm", HTTP 429) has done nothing wrong: its task is
released without counting an attempt, and no worker starts until the reset time read from its
log (or a back-off when none is given). The pause is a file, so a loop killed mid-pause and
started again keeps it."""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from dataclasses import dataclass

from agentmd.errors import AgentmdError
from agentmd.files import textfile
from agentmd.workspace.folder import CACHE_DIR, Workspace
from agentmd.workspace.records import as_list

STATE_FILE = "limit.json"  # under .agents/.cache/
BACKOFF = (60.0, 3600.0)  # no reset time given: a minute, doubling up to an hour
# A reset read as further away than this is a misreading (weekly limits reset within 7 days:
# "resets Jun 7, 4pm", "try again in 5 days 22 hours").
MAX_WAIT = 8 * 24 * 3600.0
# plan.md's limit_patterns replaces these (docs/commands/run.md lists them).
DEFAULT_PATTERNS = (
    r"usage limit reached",  # Claude Code: "Claude AI usage limit reached|1767225600"
    r"(?:5-hour|weekly|session) limit reached",  # Claude Code: "5-hour limit reached ∙ resets 3pm"
    # Claude Code and Codex: "You've hit your usage limit", "... session limit · resets 3:50pm",
    # "You've reached your usage limit"
    r"you've (?:hit|reached) your (?:[\w-]+ ){0,2}limit",
    r"rate[ _-]?limit(?:ed| reached| exceeded|_error)",  # API errors through the host
    r"\b429\b.*(?:too many requests|rate)",  # HTTP 429
    r"quota exceeded",
)


@dataclass(frozen=True)
class Pause:
    until: float  # epoch seconds
    reason: str  # the log line that said so
    count: int  # limits in a row (the back-off doubles)


def patterns(ws: Workspace) -> tuple[re.Pattern, ...]:
    given = as_list(ws.settings.raw.get("limit_patterns")) or DEFAULT_PATTERNS
    compiled = []
    for pattern in given:
        try:
            compiled.append(re.compile(pattern, re.I))
        except re.error as exc:
            raise AgentmdError(
                f"plan.md setting limit_patterns: '{pattern}' is not a regular expression ({exc})",
                "quote it, and escape ( ) [ ] . with a backslash",
            ) from None
    return tuple(compiled)


def match(ws: Workspace, log_tail: str) -> str | None:
    """The line of a worker's log that says it hit a usage limit, or None."""
    found = patterns(ws)
    for line in reversed(log_tail.splitlines()):
        if any(p.search(line) for p in found):
            return _message(line.strip(), found)
    return None


def _message(line: str, found: tuple[re.Pattern, ...]) -> str:
    """The host's own words in a JSON report line (`claude -p --output-format json` puts its
    limit message in `result`; Codex's `--json` events in `message` or `error.message`)."""
    if not line.startswith("{"):
        return line
    try:
        data = json.loads(line)
    except ValueError:
        return line
    error = data.get("error") if isinstance(data, dict) else None
    texts = [data.get(k) for k in ("result", "message")] if isinstance(data, dict) else []
    texts.append(error.get("message") if isinstance(error, dict) else error)
    for text in texts:
        if isinstance(text, str) and any(p.search(text) for p in found):
            return text.strip()
    return line


_EPOCH = re.compile(r"\|(\d{10})\b")
# A clock time, "3pm", "3:28 PM", "15:30", and the zone a host may name after it in parentheses
# (the zone of that clock time; else it is the local one).
_CLOCK = (
    r"(\d{1,2})(?::(\d{2}))?\s*([ap]\.?m\.?)?(?![\w:/])"
    r"(?:\s*\(([A-Za-z_]+(?:/[A-Za-z0-9_+-]+)*)\))?"
)
# "resets 3pm (Europe/London)", "reset at 5pm (UTC)" (Claude Code), "try again at 3:28 PM"
# (Codex)
_AT = re.compile(r"\b(?:resets?|try again)\s+(?:at\s+)?" + _CLOCK, re.I)
# Month and day names as hosts write them in English, short or whole ("Sep", "Sept", "September")
_MONTH = (
    r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b\.?"
)
_DAY = (
    r"(mon(?:day)?|tue(?:s(?:day)?)?|wed(?:nesday)?|thu(?:r(?:s(?:day)?)?)?|fri(?:day)?"
    r"|sat(?:urday)?|sun(?:day)?)\b\.?"
)
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# A weekly limit's date: "resets Jun 7, 4pm (Europe/Rome)", "resets Sep 15 at 7pm" (Claude
# Code), "try again at Aug 20, 2026, 7:38 AM", "try again at Jul 5th, 2026 8:19 PM" (Codex)
_ON_DATE = re.compile(
    r"\b(?:resets?|try again)\s+(?:at\s+|on\s+)?" + _MONTH + r"\s*(\d{1,2})(?:st|nd|rd|th)?\b"
    r",?\s*(?:(\d{4})\b,?\s*)?(?:at\s+)?" + _CLOCK,
    re.I,
)
# "resets Mon 9am", "resets on Monday at 9am"
_ON_DAY = re.compile(
    r"\b(?:resets?|try again)\s+(?:at\s+|on\s+)?" + _DAY + r",?\s*(?:at\s+)?" + _CLOCK, re.I
)
_IN = re.compile(
    r"\b(?:try again|retry|resets?)\s+in\s+((?:\d+\s*(?:days?|d|hours?|h|minutes?|mins?|m|"
    r"seconds?|secs?|s)\b[\s,and]*)+)",
    re.I,
)
_AFTER = re.compile(r"\bretry[- ]after:?\s*(\d+)", re.I)
_UNIT = re.compile(r"(\d+)\s*(d|h|m|s)", re.I)
_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def reset_time(text: str, now: float) -> float | None:
    """When the limit resets, read from the host's message; None when it does not say, or
    says what no clock can be (`resets Jan 1, 0001, 1am`, a zone name nested 300 deep)."""
    try:
        return _reset_time(text, now)
    except (ValueError, OverflowError, OSError, RecursionError):
        return None


def _reset_time(text: str, now: float) -> float | None:
    if m := _EPOCH.search(text):
        return float(m.group(1))
    if m := _IN.search(text):
        return now + sum(int(n) * _SECONDS[u[0].lower()] for n, u in _UNIT.findall(m.group(1)))
    if m := _AFTER.search(text):
        return now + int(m.group(1))
    if m := _ON_DATE.search(text):
        month, day, year = _MONTHS.index(m.group(1)[:3].lower()) + 1, int(m.group(2)), m.group(3)
        local = dt.datetime.fromtimestamp(now, _zone(m.group(7)))
        at = _at(local, m.group(4, 5, 6))
        try:
            if at is not None:
                at = at.replace(year=int(year or local.year), month=month, day=day)
                if not year and at.timestamp() <= now:  # no year given: the next such date
                    at = at.replace(year=at.year + 1)
        except ValueError:  # Feb 30, or a Feb 29 whose next year has none
            return None
        return at.timestamp() if at else None
    if m := _ON_DAY.search(text):
        local = dt.datetime.fromtimestamp(now, _zone(m.group(5)))
        at = _at(local, m.group(2, 3, 4))
        if at is None:
            return None
        at += dt.timedelta(days=(_DAYS.index(m.group(1)[:3].lower()) - at.weekday()) % 7)
        if at.timestamp() <= now:
            at += dt.timedelta(days=7)
        return at.timestamp()
    if m := _AT.search(text):
        local = dt.datetime.fromtimestamp(now, _zone(m.group(4)))
        at = _at(local, m.group(1, 2, 3))
        if at is not None and at.timestamp() <= now:
            at += dt.timedelta(days=1)
        return at.timestamp() if at else None
    return None


def _at(day: dt.datetime, clock: tuple[str | None, ...]) -> dt.datetime | None:
    """`day` at the clock time a message gave (hour, minutes, am/pm); None for no such time, or
    a bare number ("try again at 10 de jul.": a day of the month, read as 10 o'clock)."""
    hour, minute = int(clock[0] or 0), int(clock[1] or 0)
    half = (clock[2] or "").lower().replace(".", "")
    if (half and not 1 <= hour <= 12) or not (half or clock[1]):
        return None
    if half == "pm" and hour < 12:
        hour += 12
    elif half == "am" and hour == 12:
        hour = 0
    if hour > 23 or minute > 59:
        return None
    return day.replace(hour=hour, minute=minute, second=0, microsecond=0)


def _zone(name: str | None) -> dt.tzinfo | None:
    """The zone a host named beside a reset time; None (the local zone) when it named none or
    one this machine does not know."""
    if not name:
        return None
    if name.upper() in ("UTC", "GMT", "Z"):
        return dt.UTC
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo(name)
    except (ValueError, LookupError, OSError):  # ZoneInfoNotFoundError is a KeyError
        return None


def _path(ws: Workspace):
    return ws.agents / CACHE_DIR / STATE_FILE


def current(ws: Workspace) -> Pause | None:
    try:
        data = json.loads(_path(ws).read_text(encoding="utf-8"))
        return Pause(float(data["until"]), str(data["reason"]), int(data["count"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def pause(ws: Workspace, line: str, now: float | None = None) -> Pause:
    """Record a limit that `line` reported; returns the pause it starts."""
    now = time.time() if now is None else now
    before = current(ws)
    count = before.count + 1 if before else 1
    until = reset_time(line, now)
    if until is None or until - now > MAX_WAIT or until < now:
        until = now + min(BACKOFF[1], BACKOFF[0] * 2 ** (count - 1))
    state = Pause(until, line, count)
    folder = _path(ws).parent
    folder.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"until": state.until, "reason": state.reason, "count": state.count})
    textfile.atomic_write(_path(ws), text + "\n")
    return state


def clear(ws: Workspace) -> None:
    _path(ws).unlink(missing_ok=True)


def board_lines(ws: Workspace, now: float | None = None) -> list[str]:
    """For `status`: the pause in force, if any."""
    state = current(ws)
    if state is None or state.until <= (time.time() if now is None else now):
        return []
    return [
        f"paused: a worker hit a usage limit ({state.reason}); "
        f"no worker starts until {when(state.until)}"
    ]


def when(until: float, now: float | None = None) -> str:
    """The local time a pause ends, with its date when that is not today (a weekly limit)."""
    at = dt.datetime.fromtimestamp(until)
    today = dt.datetime.fromtimestamp(time.time() if now is None else now).date()
    return at.strftime("%H:%M:%S" if at.date() == today else "%Y-%m-%d %H:%M:%S")
