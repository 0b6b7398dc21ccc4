"""Each task's field findings kept between checks in one process (the loop's next check, the
readiness of the tasks `next` hands out): a task file the index hands back unchanged (the same
record object) keeps its findings, under the same settings and task ids."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agentmd.errors import Problem
    from agentmd.workspace.records import Record


class KeptFindings:
    """The findings of the tasks one check looked at. Only the tasks with a finding are kept by
    path: 10,000 tasks' records are the index's own, looked up by path only when asked."""

    __slots__ = ("context", "inputs", "_records", "_found", "_by_path")

    def __init__(
        self,
        context: tuple,
        records: list[Record],
        found: dict[str, Sequence[Problem]],
        inputs: dict[str, bool] | None = None,
    ):
        self.context = context
        # each input judged, and whether it was missing: the findings hold while each is so
        self.inputs = inputs or {}
        self._records = records  # the records looked at
        self._found = found  # path -> findings; a task without any left out
        self._by_path: dict[str, Record] | None = None

    def get(self, context: tuple, record: Record) -> Sequence[Problem] | None:
        """The findings kept for `record`; None when it was not looked at as it is now."""
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
        return self._found.get(record.path, ())
