"""Which task a session holds: the one AGENTMD_TASK names, the one whose worktree branch it runs
on, or the one its owner claimed; None for a session that holds nothing."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:  # current_branch runs at every session start, before anything else is needed
    from agentmd.workspace.folder import Workspace
    from agentmd.workspace.records import Task

FINISHED = ("done", "failed")


class Held(NamedTuple):
    task: Task
    how: str  # how it was found, said to the agent: "AGENTMD_TASK", "worktree branch ...", ...
    others: tuple[str, ...] = ()  # further active tasks of the same owner


def held_task(ws: Workspace, owner: str | None = None, env: dict | None = None) -> Held | None:
    from agentmd.errors import AgentmdError, LocatedError
    from agentmd.tasks import claims

    def readable(task: Task | None) -> Task | None:
        if task is not None and task.broken and task.record.problem is not None:
            raise LocatedError(task.record.problem)  # named, but unreadable: say where
        return task

    found: Mapping[str, str] = os.environ if env is None else env
    named = found.get("AGENTMD_TASK", "").strip()
    if named:
        task = readable(ws.tasks.get(named))
        if task is not None and task.status not in FINISHED:
            return Held(task, "AGENTMD_TASK")
    branch = current_branch(ws.root)
    if branch:
        from agentmd import worktrees

        try:
            task_id = worktrees.task_of_branch(ws, branch)
        except AgentmdError:
            task_id = None
        task = readable(ws.tasks.get(task_id)) if task_id else None
        if task is not None and task.status not in FINISHED:
            return Held(task, f"worktree branch {branch}")
    who = owner or claims.default_owner()
    mine = sorted(
        (t for t in ws.tasks.values() if t.status == "active" and t.claimed_by == who),
        key=lambda t: (t.claimed_at, t.id),
        reverse=True,
    )
    if not mine:
        return None
    return Held(mine[0], f"claimed by {who}", tuple(t.id for t in mine[1:]))


def current_branch(root: Path) -> str:
    """The branch checked out at `root`, read from git's HEAD file (no git process: this runs
    at every session start); '' when detached or not a repository."""
    dot_git = root / ".git"
    try:
        if dot_git.is_file():  # a linked worktree: "gitdir: <path>"
            pointer = dot_git.read_text(encoding="utf-8").strip()
            if not pointer.startswith("gitdir:"):
                return ""
            gitdir = Path(pointer[len("gitdir:") :].strip())
            dot_git = gitdir if gitdir.is_absolute() else root / gitdir
        head = (dot_git / "HEAD").read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return ""
    return head.removeprefix("ref: refs/heads/") if head.startswith("ref: refs/heads/") else ""
