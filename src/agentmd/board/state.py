"""What the board shows of the plan: one card per task, grouped in columns by the plan's
statuses, filtered and cut to the first cards of each column. Built on tasks/summary's Board
(claims, stale leases, ready, blocked) and on `check`'s findings, never on rules of its own."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import NamedTuple

from agentmd import clock
from agentmd.errors import Problem
from agentmd.files import globs
from agentmd.tasks import summary
from agentmd.workspace.folder import Workspace
from agentmd.workspace.records import as_list

COLUMN_LIMIT = 50  # cards drawn per column; the count says how many match


@dataclass(frozen=True)
class Card:
    id: str
    title: str
    status: str
    priority: str
    owner: str
    age: str  # "3h10m" since the claim, "" without one
    stale: bool
    attempts: int
    tags: tuple[str, ...]
    paths: tuple[str, ...]
    ready: bool
    waits: str  # why a todo task is not ready (its first blocker), "" otherwise
    broken: bool  # its file cannot be read (or is a symlink out of the repository)


class Filters(NamedTuple):
    text: str = ""
    status: str = ""
    owner: str = ""
    tag: str = ""
    path: str = ""

    @classmethod
    def from_query(cls, args: Mapping[str, str]) -> Filters:
        return cls(*(str(args.get(name, "")).strip()[:200] for name in cls._fields))

    def active(self) -> bool:
        return any(self)

    def query(self) -> str:
        from urllib.parse import urlencode

        return urlencode([(k, v) for k, v in self._asdict().items() if v])

    def admits(self, card: Card) -> bool:
        if self.status and card.status != self.status.lower():
            return False
        if self.owner and self.owner.lower() not in card.owner.lower():
            return False
        if self.tag and self.tag.lower() not in (t.lower() for t in card.tags):
            return False
        if self.path and not any(_path_matches(self.path, p) for p in card.paths):
            return False
        if self.text:
            needle = self.text.lower()
            if needle not in card.id.lower() and needle not in card.title.lower():
                return False
        return True


def _path_matches(wanted: str, declared: str) -> bool:
    """A path filter names a file or folder; a task's declared path may be a glob."""
    wanted, folder = wanted.strip("/"), declared.rstrip("/")
    if any(ch in declared for ch in "*?["):
        literal = declared.split("*")[0].split("?")[0].split("[")[0]
        return globs.matches(wanted, declared) or literal.startswith(wanted + "/")
    return folder == wanted or folder.startswith(wanted + "/") or wanted.startswith(folder + "/")


@dataclass(frozen=True)
class Column:
    status: str
    total: int  # tasks with this status
    matching: int  # of those, the ones the filters admit
    cards: list[Card]  # the first COLUMN_LIMIT of them


@dataclass(frozen=True)
class State:
    """The plan as the board sees it at one moment; rebuilt after each change under .agents/."""

    board: summary.Board
    cards: dict[str, Card]
    statuses: tuple[str, ...]
    unreadable: list[Problem]  # files that could not be read at all
    problems: tuple[Problem, ...] = ()  # every `check` finding, once `check` ran
    badges: Mapping[str, tuple[int, int]] = field(default_factory=dict)  # id -> errors, warnings

    def columns(self, filters: Filters, limit: int = COLUMN_LIMIT) -> list[Column]:
        grouped: dict[str, list[Card]] = {status: [] for status in self.statuses}
        for card in self.cards.values():
            grouped.setdefault(card.status, [])
        totals = {status: 0 for status in grouped}
        for card in self.cards.values():
            totals[card.status] += 1
            if filters.admits(card):
                grouped[card.status].append(card)
        out = []
        for status, found in grouped.items():
            found.sort(key=_card_order)
            out.append(Column(status, totals[status], len(found), found[:limit]))
        return out


PRIORITY_ORDER = {"high": 0, "medium": 1, "low": 2}


def _card_order(card: Card) -> tuple:
    return (not card.stale, not card.ready, PRIORITY_ORDER.get(card.priority, 1), card.id)


def build(ws: Workspace, moment: dt.datetime | None = None) -> State:
    """The board's state, without `check`'s findings (see with_findings)."""
    board = summary.build(ws, moment)
    claims = {claim.task.id: claim for claim in board.active}
    ready = {candidate.task.id for candidate in board.ready}
    cards = {}
    for task in ws.tasks.values():
        claim = claims.get(task.id)
        cards[task.id] = Card(
            id=task.id,
            title=task.title,
            status=task.status,
            priority=task.priority,
            owner=task.claimed_by,
            age=clock.human(claim.age) if claim and claim.age is not None else "",
            stale=bool(claim and claim.stale),
            attempts=task.attempts,
            tags=as_list(task.record.fields.get("tags")),
            paths=task.paths,
            ready=task.id in ready,
            waits=(board.blocked.get(task.id) or [""])[0] if task.status == "todo" else "",
            broken=task.broken,
        )
    return State(board, cards, ws.settings.statuses, list(ws.problems))


def with_findings(state: State, problems: tuple[Problem, ...], badges: Mapping) -> State:
    return replace(state, problems=problems, badges=badges)


def findings_by_task(ws: Workspace, problems: Sequence[Problem]) -> dict[str, tuple[int, int]]:
    """Errors and warnings per task: those on its file and on its latest handoff's."""
    owner = {ws.display(task.path): task.id for task in ws.tasks.values()}
    for handoff_of, handoff in ws.latest_handoffs.items():
        owner.setdefault(ws.display(handoff.path), handoff_of)
    counts: dict[str, tuple[int, int]] = {}
    for problem in problems:
        task_id = owner.get(problem.path)
        if task_id is None:
            continue
        errors, warnings = counts.get(task_id, (0, 0))
        if problem.severity == "error":
            errors += 1
        else:
            warnings += 1
        counts[task_id] = (errors, warnings)
    return counts


def inside(root: Path, path: Path) -> bool:
    """Whether `path`, symlinks followed, is within `root` (itself resolved)."""
    try:
        Path(os.path.realpath(path)).relative_to(root)
    except ValueError:
        return False
    return True
