"""Where a task came from: a task imported as done has its history in the source it came
from (`source:`), not in a handoff; a task done through agentmd needs its handoff."""

from __future__ import annotations

from typing import Any


def done_in_source(fields: dict[str, Any]) -> bool:
    """Imported as done and done still: `check` and the hook ask no handoff of it."""
    return (
        bool(fields.get("source"))
        and str(fields.get("imported_as") or "").strip().lower() == "done"
        and str(fields.get("status") or "").strip().lower() == "done"
    )
