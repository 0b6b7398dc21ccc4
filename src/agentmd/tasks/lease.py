"""Leases: where a claim stands (its age, when it expires); an expired one is stale and can be
released (`claims.release`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from agentmd import clock
from agentmd.workspace.folder import Workspace
from agentmd.workspace.records import Task

if TYPE_CHECKING:
    import datetime as dt

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
        return clock.expiry(self.claimed_at, self.lease)

    @property
    def stale(self) -> bool:
        return clock.expired(self.expires, self.now)


def lease_text(ws: Workspace, task: Task) -> str:
    value = task.record.fields.get("lease")
    return str(value) if value not in (None, "") else ws.settings.lease


def claim_of(ws: Workspace, task: Task, moment: dt.datetime | None = None) -> Claim:
    text = lease_text(ws, task)
    return Claim(
        task,
        task.claimed_by,
        clock.parse_stamp(task.claimed_at) if task.claimed_at else None,
        clock.parse_duration(text),
        moment or clock.now(),
        text,
    )


def claims(ws: Workspace, moment: dt.datetime | None = None) -> list[Claim]:
    """Every active task's claim, by id."""
    moment = moment or clock.now()
    return [
        claim_of(ws, t, moment)
        for t in sorted(ws.tasks.values(), key=lambda t: t.id)
        if t.status == "active"
    ]


def stale(ws: Workspace, moment: dt.datetime | None = None) -> list[Claim]:
    return [c for c in claims(ws, moment) if c.stale]
