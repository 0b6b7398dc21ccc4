"""The latest handoff of a task, and whether a task in review or done has a valid one: decided
here once, for every tree a handoff is judged in (the working tree, the index in a commit hook,
a commit), so that `check`, `done`, the hook and the loop give one answer on the same files."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, NamedTuple, Protocol

from agentmd.errors import Problem
from agentmd.handoffs.names import order_key

if TYPE_CHECKING:
    from agentmd.files.document import Document
    from agentmd.workspace.records import Handoff

    class HandoffTree(Protocol):
        """A tree that can list its handoffs and judge one (`Tree` in handoffs/changes.py
        is what the judging needs besides)."""

        staged: set[str]  # paths the tree holds as staged (only the hook's index has any)
        latest: Latest | None  # kept by `verdict`

        def handoff_tasks(self) -> Iterable[tuple[str, str]]: ...  # (path, task) newest first

        def handoff_findings(self, path: str) -> list[Problem]: ...

        def display_of(self, path: str) -> str: ...  # a handoff's path as findings print it

        def handoff_document(self, path: str) -> Document | None: ...  # it, parsed


def latest(task_id: str, handoffs: Iterable[tuple[str, str]]) -> str | None:
    """Of (path, task field) pairs, the path of the task's newest handoff: the one whose file
    name sorts last (`names.order_key`), whatever else its name says. A handoff belongs to the
    task its front matter names, not the one its file name suggests."""
    mine = [path for path, task in handoffs if task == task_id]
    return max(mine, key=order_key) if mine else None


def latest_index(handoffs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """`latest` for every task at once, in one pass: task id -> path of its latest handoff."""
    best: dict[str, str] = {}
    for path, task in handoffs:
        # Names are compared only for a task with more than one handoff: most have one.
        if task not in best or order_key(path) > order_key(best[task]):
            best[task] = path
    return best


class Latest:
    """Each task's latest handoff, found by reading the handoffs newest first and only as far
    as a question needs: the handoff a commit stages for its task is usually the newest, so the
    hook reads a few of 3,000 handoffs rather than all. The answers are `latest_index`'s."""

    def __init__(self, handoffs: Iterable[tuple[str, str]]):
        # Newest first; a stable sort keeps the first of equal names first, as max() does.
        self._rest = iter(handoffs)
        self._found: dict[str, str | None] = {}

    @classmethod
    def known(cls, index: dict[str, str]) -> Latest:
        """The finder when every task's latest is known already (`latest_index`'s answers,
        as Workspace.latest_handoffs holds them): nothing is sorted or read."""
        finder = cls(())
        finder._found.update(index)
        return finder

    def of(self, task_id: str) -> str | None:
        if task_id in self._found:
            return self._found[task_id]
        for path, task in self._rest:
            self._found.setdefault(task, path)
            if task == task_id:
                return path
        self._found[task_id] = None  # every handoff was read: the task has none
        return None


def newest_first(paths: Iterable[str]) -> Iterator[str]:
    """The paths newest first by `names.order_key`, in the order `sorted(paths, key=order_key,
    reverse=True)` gives (equal keys in the order given), worked out only as far as it is read.
    A name that starts with a date (`2026-12-01-...`) is newer than every name of an older
    date: its key starts with the date's three numbers, of fixed widths. So names are grouped
    by date and only the groups read get their keys: the hook asks for the newest few of 3,000
    handoffs. Names of any other shape get their keys at once and are merged in."""
    dated: dict[str, list[tuple[int, str]]] = {}
    rest: list[tuple[int, str]] = []
    for index, path in enumerate(paths):
        name = path[path.rfind("/") + 1 :]
        if name[10:11] in _DIGIT:  # a longer number than a day: not a date
            rest.append((index, path))
        else:
            dated.setdefault(name[:10], []).append((index, path))
    for date in [d for d in dated if not _DATE.fullmatch(d)]:
        rest += dated.pop(date)
    ordered = _by_date(dated)
    if rest:  # names of other shapes are few, when there are any
        import heapq

        ordered = heapq.merge(ordered, sorted(_keyed(rest), reverse=True), reverse=True)
    for _key, _index, path in ordered:
        yield path


_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DIGIT = frozenset("0123456789")


def _keyed(items: list[tuple[int, str]]) -> Iterator[tuple[str, int, str]]:
    # -index: of equal keys the one given first comes first, newest first as oldest first.
    return ((order_key(path), -index, path) for index, path in items)


def _by_date(dated: dict[str, list[tuple[int, str]]]) -> Iterator[tuple[str, int, str]]:
    for date in sorted(dated, reverse=True):
        yield from sorted(_keyed(dated[date]), reverse=True)


class Verdict(NamedTuple):
    path: str | None  # the latest handoff, None when the task has none
    errors: list[Problem]  # its error findings: empty when it is valid

    @property
    def valid(self) -> bool:
        return self.path is not None and not self.errors


def verdict(tree: HandoffTree, task_id: str) -> Verdict:
    """The task's latest handoff in `tree`, and its errors."""
    finder = getattr(tree, "latest", None)
    if finder is None:  # kept per tree: a check asks for every task in review or done
        finder = tree.latest = Latest(tree.handoff_tasks())
    path = finder.of(task_id)
    if path is None:
        return Verdict(None, [])
    return Verdict(path, [p for p in tree.handoff_findings(path) if p.severity == "error"])


def rule_problems(
    tree: HandoffTree, task_id: str, status: str, display: str, line: int
) -> list[Problem]:
    """The finding, at the task's status line, for a task in review or done whose latest
    handoff is missing or invalid; none when it is valid."""
    found = verdict(tree, task_id)
    staged = bool(tree.staged)
    if found.path is None:
        return [
            Problem(
                display,
                line,
                1,
                "handoff-missing",
                f"task '{task_id}' is staged as {status} but no handoff for it is staged or "
                "committed"
                if staged
                else f"task '{task_id}' is {status} but has no handoff",
                f"write one (agentmd handoff new {task_id}), fill it, and git add it"
                if staged
                else f"write one with 'agentmd handoff new {task_id}', fill it, then "
                "'agentmd handoff check'",
            )
        ]
    if not found.errors:
        return []
    name = tree.display_of(found.path)
    return [
        Problem(
            display,
            line,
            1,
            "handoff-invalid",
            f"task '{task_id}' is {'staged as ' if staged else ''}{status} but its handoff "
            f"{name} has {len(found.errors)} error(s)",
            f"run 'agentmd handoff check {name}', fix it"
            + (", and git add it" if staged else " (findings above)"),
        )
    ]


def task_findings(
    tree: HandoffTree, task_id: str, status: str, display: str, line: int
) -> list[Problem]:
    """Every finding for the task's latest handoff in `tree`; when it has none, the rule's
    finding at the task's status line (`rule_problems`)."""
    found = verdict(tree, task_id)
    if found.path is None:
        return rule_problems(tree, task_id, status, display, line)
    return tree.handoff_findings(found.path)


def latest_by_task(handoffs: list[Handoff]) -> dict[str, Handoff]:
    """Each task's latest handoff, by `latest_index`."""
    by_path = {handoff.path: handoff for handoff in handoffs}
    index = latest_index((handoff.path, handoff.task) for handoff in handoffs)
    return {task_id: by_path[path] for task_id, path in index.items()}
