"""Leases: a claim expires; when it has, the claim is stale and can be released."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from agentmd.errors import AgentmdError, NothingToDo
from agentmd.tasks import lifecycle
from agentmd.workspace.folder import Workspace
from agentmd.workspace.records import Task

# Days, hours, minutes, seconds, in that order, each optional: 2h, 30m, 1d, 1h30m, 90s.
DURATION_RE = re.compile(
    r"\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*(?:(\d+)\s*s)?\s*\Z", re.I
)
DURATION_HINT = "write numbers with units d, h, m, s in that order, e.g. 90s, 30m, 2h, 1d or 1h30m"
CLAIM_FIELDS = ("claimed_by", "claimed_at", "lease")
HELD = ("active", "review")  # statuses that hold a claim


def parse_duration(text: str) -> dt.timedelta | None:
    """`30m`, `2h`, `1d`, `1h30m` as a timedelta; None when the text is not a duration."""
    match = DURATION_RE.match(str(text))
    if match is None or not any(match.groups()):
        return None
    days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return dt.timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def duration(text: str, what: str) -> dt.timedelta:
    """A duration the user must have written right (a plan setting or an option)."""
    value = parse_duration(text)
    if value is None:
        raise AgentmdError(f"{what} '{text}' is not a duration", DURATION_HINT)
    return value


def parse_stamp(text: str) -> dt.datetime | None:
    try:
        moment = dt.datetime.fromisoformat(str(text).strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


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


@dataclass(frozen=True)
class Claim:
    """A held claim and where its lease stands."""

    task: Task
    owner: str
    claimed_at: dt.datetime | None
    lease: dt.timedelta | None  # None: no lease (or one that cannot be read)
    now: dt.datetime
    written: str = ""  # the lease as the file has it

    @property
    def age(self) -> dt.timedelta | None:
        return self.now - self.claimed_at if self.claimed_at else None

    @property
    def expires(self) -> dt.datetime | None:
        if self.claimed_at is None or self.lease is None:
            return None
        return self.claimed_at + self.lease

    @property
    def stale(self) -> bool:
        return self.expires is not None and self.expires <= self.now


def lease_text(ws: Workspace, task: Task) -> str:
    value = task.record.fields.get("lease")
    return str(value) if value not in (None, "") else ws.settings.lease


def claim_of(ws: Workspace, task: Task, moment: dt.datetime | None = None) -> Claim:
    text = lease_text(ws, task)
    return Claim(
        task,
        task.claimed_by,
        parse_stamp(task.claimed_at) if task.claimed_at else None,
        parse_duration(text),
        moment or lifecycle.now(),
        text,
    )


def claims(ws: Workspace, moment: dt.datetime | None = None) -> list[Claim]:
    """Every active task's claim, by id."""
    moment = moment or lifecycle.now()
    return [
        claim_of(ws, t, moment)
        for t in sorted(ws.tasks.values(), key=lambda t: t.id)
        if t.status == "active"
    ]


def stale(ws: Workspace, moment: dt.datetime | None = None) -> list[Claim]:
    return [c for c in claims(ws, moment) if c.stale]


def release(ws: Workspace, task_id: str, reason: str = "", *, only_stale: bool = False) -> Task:
    """Free a claim: back to todo without the claim's fields; counts no attempt."""
    with lifecycle.changing(ws):
        ws.refresh()
        task = ws.task(task_id)
        if task.status not in HELD:
            raise NothingToDo(f"task '{task_id}' is {task.status}: there is no claim to release")
        if only_stale and not claim_of(ws, task).stale:
            raise NothingToDo(f"the claim on '{task_id}' has not expired")
        editor = ws.edit(task.path)
        editor.set("status", "todo")
        for key in (*CLAIM_FIELDS, "awaiting_merge"):
            editor.delete(key)
        ws.save(task.path, editor.text)
        who = f" from {task.claimed_by}" if task.claimed_by else ""
        lifecycle.log(ws, "release", task_id, (reason or "released") + who)
    ws.refresh()
    return ws.task(task_id)
