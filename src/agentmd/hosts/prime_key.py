"""Under which key `prime`'s output is remembered: what it was asked, and what decides which task
the session holds (session.held_task). Apart from hosts/prime.py, which imports dataclasses
(and so inspect): entry.py answers a remembered prime with this before click is imported."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from agentmd.hosts.session import current_branch
from agentmd.tasks.owner import default_owner
from agentmd.workspace import memo

if TYPE_CHECKING:
    from agentmd.workspace.folder import Workspace


def memo_key(ws: Workspace, owner: str | None, max_chars: int | None, as_json: bool) -> str:
    """The owner as held_task resolves it (two users of one checkout hold different tasks)."""
    return memo.key(
        "prime", owner or default_owner(), max_chars, as_json,
        os.environ.get("AGENTMD_TASK", ""), current_branch(ws.root),
    )  # fmt: skip


def recall(ws: Workspace, owner: str | None, max_chars: int | None, as_json: bool) -> str | None:
    """What prime printed for the same question, while nothing under .agents/ has changed."""
    hit = memo.recall(ws, memo_key(ws, owner, max_chars, as_json))
    return None if hit is None else hit[0]
