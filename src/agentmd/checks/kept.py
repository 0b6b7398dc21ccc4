"""Each task's field findings kept between checks in one process (the loop's next check, the
readiness of the tasks `next` hands out): a task file the index hands back unchanged (the same
record object) keeps its findings, under the same settings and task ids, while each path and
folder that check judged on disk is as it was."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple, Protocol

if TYPE_CHECKING:
    from agentmd.errors import Problem
    from agentmd.workspace.records import Record


class Seen(NamedTuple):
    """What a check's PathGuard found on disk (fields.PathGuard.seen)."""

    missing: dict[str, bool]  # path -> whether it names a file that is not there
    reasons: dict[str, str | None]  # path -> why a task may not name it (climbs out, ...)
    folders: dict[str, tuple[str | None, bool]]  # folder -> (where it is when outside, a folder)


class Guard(Protocol):
    def moved(self, seen: Seen) -> tuple[set[str], set[str]]: ...


class KeptFindings:
    """The findings of the tasks one check looked at. Only the tasks with a finding are kept by
    path: 10,000 tasks' records are the index's own, looked up by path only when asked."""

    __slots__ = ("context", "seen", "_records", "_found", "_by_path")

    def __init__(
        self,
        context: tuple,
        records: list[Record],
        found: dict[str, Sequence[Problem]],
        seen: Seen | None = None,
    ):
        self.context = context
        self.seen = seen  # what the check found on disk: the findings hold while it is so
        self._records = records  # the records looked at
        self._found = found  # path -> findings; a task without any left out
        self._by_path: dict[str, Record] | None = None

    def moved(self, guard: Guard) -> tuple[set[str], set[str]]:
        """The paths and folders not now as the check found them on disk, asked of `guard` (a
        fresh one): the kept findings of a task that names one no longer hold."""
        return guard.moved(self.seen) if self.seen is not None else (set(), set())

    def get(
        self, context: tuple, record: Record, moved: tuple[set[str], set[str]] | None = None
    ) -> Sequence[Problem] | None:
        """The findings kept for `record`; None when it was not looked at as it is now, or
        names a path or a folder among `moved` (`KeptFindings.moved`)."""
        if context is not self.context:
            # 10,000 ids compared for each of 10,000 tasks were most of a loop cycle: once
            # equal, the caller's context is kept, and its next asks compare by identity.
            if context != self.context:
                return None
            self.context = context
        if self._by_path is None:
            self._by_path = {r.path: r for r in self._records}
        if self._by_path.get(record.path) is not record:
            return None
        if moved is not None and (moved[0] or moved[1]) and _names_any(record, *moved):
            return None
        return self._found.get(record.path, ())


def _names_any(record: Record, paths: set[str], folders: set[str]) -> bool:
    """Whether the task's inputs or outputs name one of `paths`, or lie in one of `folders`."""
    from agentmd.workspace.records import as_list  # here: folder.py imports this module

    named = (*as_list(record.fields.get("inputs")), *as_list(record.fields.get("outputs")))
    if not paths.isdisjoint(named):
        return True
    return bool(folders) and not folders.isdisjoint(
        path.strip().rpartition("/")[0] for path in named
    )
