"""The state of the work at a glance: counts, ready, active with owner and age, review,
awaiting merge, blocked with blockers, stale claims."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from agentmd import clock
from agentmd.tasks import graph, lease
from agentmd.workspace.folder import Workspace
from agentmd.workspace.records import Task


@dataclass(frozen=True)
class Board:
    title: str
    counts: dict[str, int]
    ready: list[graph.Candidate]
    active: list[lease.Claim]
    review: list[Task]
    awaiting_merge: list[Task]
    blocked: dict[str, list[str]]  # todo tasks not ready, and status-blocked ones, with why
    stale: list[lease.Claim]
    cycles: list[list[str]]
    now: dt.datetime
    failed: dict[str, str] | None = None  # failed task id -> its last attempt's reason

    def as_json(self) -> dict:
        def claim(c: lease.Claim) -> dict:
            return {
                "id": c.task.id,
                "owner": c.owner or None,
                "claimed_at": c.task.claimed_at or None,
                "age_seconds": int(c.age.total_seconds()) if c.age is not None else None,
                "lease": c.written or None,
                "expires": clock.stamp(c.expires) if c.expires else None,
                "stale": c.stale,
            }

        return {
            "title": self.title,
            "counts": self.counts,
            "ready": [c.task.id for c in self.ready],
            "active": [claim(c) for c in self.active],
            "review": [t.id for t in self.review if t not in self.awaiting_merge],
            "awaiting_merge": [
                {"id": t.id, "branch": str(t.record.fields.get("awaiting_merge"))}
                for t in self.awaiting_merge
            ],
            "blocked": [{"id": tid, "reasons": why} for tid, why in sorted(self.blocked.items())],
            "stale": [c.task.id for c in self.stale],
            "cycles": self.cycles,
            "failed": [
                {"id": tid, "last_attempt": why or None}
                for tid, why in sorted((self.failed or {}).items())
            ],
        }


def build(
    ws: Workspace, moment: dt.datetime | None = None, errors: graph.Errors | None = None
) -> Board:
    """The plan at a glance; `errors` are the tasks `check` calls broken (not ready)."""
    moment = moment or clock.now()
    tasks = ws.tasks
    plan = graph.analyse(tasks, errors)
    counts = {status: 0 for status in ws.settings.statuses}
    for task in tasks.values():
        counts[task.status] = counts.get(task.status, 0) + 1
    active = lease.claims(ws, moment)
    ordered = sorted(tasks.values(), key=lambda t: t.id)
    review = [t for t in ordered if t.status == "review"]
    blocked = dict(plan.blocked) | graph.unknown_status(tasks, ws.settings.statuses)
    for task in ordered:
        if task.status == "blocked":
            why = str(task.record.fields.get("blocked_reason") or "").strip()
            blocked[task.id] = [f"blocked: {why}" if why else "blocked (no reason given)"]
    return Board(
        title=ws.settings.title,
        counts=counts,
        ready=plan.ready,
        active=active,
        review=review,
        awaiting_merge=[t for t in review if t.record.fields.get("awaiting_merge")],
        blocked=blocked,
        stale=[c for c in active if c.stale],
        cycles=plan.cycles,
        now=moment,
        failed={t.id: _last_attempt(ws, t) for t in ordered if t.status == "failed"},
    )


def _last_attempt(ws: Workspace, task: Task) -> str:
    from agentmd.errors import LocatedError
    from agentmd.tasks import lifecycle

    try:
        return lifecycle.last_attempt(ws.read(task.path).body)
    except LocatedError:
        return ""


def render(board: Board, workers: dict[str, str] | None = None) -> list[str]:
    """The board as lines; `workers` maps a task id to what runs it (from the loop's records)."""
    workers = workers or {}
    total = sum(board.counts.values())
    counts = ", ".join(f"{n} {status}" for status, n in board.counts.items() if n)
    noun = "task" if total == 1 else "tasks"
    lines = [f"{board.title or 'plan'}: {total} {noun}" + (f" ({counts})" if counts else "")]
    if board.ready:
        shown = [c.task.id for c in board.ready[:10]]
        more = f" and {len(board.ready) - 10} more" if len(board.ready) > 10 else ""
        lines.append(f"ready ({len(board.ready)}): " + ", ".join(shown) + more)
    if board.active:
        lines.append(f"active ({len(board.active)}):")
        for claim in board.active:
            age = (
                f"{clock.human(claim.age)} ago"
                if claim.age is not None
                else "claimed at an unknown time"
            )
            if claim.lease is None:
                term = "no lease"
            elif claim.stale and claim.expires:
                term = f"lease {claim.written} expired {clock.human(board.now - claim.expires)} ago"
            elif claim.expires:
                term = f"lease {claim.written}, {clock.human(claim.expires - board.now)} left"
            else:
                term = "no lease"
            extra = f"; {workers[claim.task.id]}" if claim.task.id in workers else ""
            lines.append(f"  {claim.task.id}  by {claim.owner or 'nobody'}, {age}, {term}{extra}")
    pending = [t for t in board.review if t not in board.awaiting_merge]
    if pending:
        lines.append(f"review ({len(pending)}): " + ", ".join(t.id for t in pending))
    if board.awaiting_merge:
        lines.append(f"awaiting merge ({len(board.awaiting_merge)}):")
        for task in board.awaiting_merge:
            lines.append(
                f"  {task.id}  branch {task.record.fields.get('awaiting_merge')}: "
                "git merge it, then the loop marks it done"
            )
    if board.blocked:
        lines.append(f"blocked ({len(board.blocked)}):")
        for tid, why in sorted(board.blocked.items()):
            lines.append(f"  {tid}: " + "; ".join(why))
    if board.failed:
        lines.append(f"failed ({len(board.failed)}): agentmd reopen ID sends one back to todo")
        for tid, last in sorted(board.failed.items()):
            lines.append(f"  {tid}: {last or 'no attempt recorded'}")
    if board.stale:
        lines.append(f"stale claims ({len(board.stale)}):")
        for claim in board.stale:
            lines.append(
                f"  {claim.task.id}  by {claim.owner or 'nobody'}: agentmd release {claim.task.id}"
            )
    for cycle in board.cycles:
        lines.append("cycle: " + " -> ".join([*cycle, cycle[0]]))
    return lines
