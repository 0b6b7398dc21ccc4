"""The latest handoff of a task, and whether a task in review or done has a valid one: decided
here once, for every tree a handoff is judged in (the working tree, the index in a commit hook,
a commit), so that `check`, `done`, the hook and the loop give one answer on the same files."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, NamedTuple, Protocol

from agentmd.errors import Problem
from agentmd.handoffs.names import order_key

if TYPE_CHECKING:
    from agentmd.workspace.records import Handoff

    class HandoffTree(Protocol):
        """A tree that can list its handoffs and judge one (`Tree` in handoffs/changes.py
        is what the judging needs besides)."""

        staged: set[str]  # paths the tree holds as staged (only the hook's index has any)
        latest_by_task: dict[str, str] | None  # `latest_index`, kept by `verdict`

        def handoff_tasks(self) -> Iterable[tuple[str, str]]: ...  # (path, its task field)

        def handoff_findings(self, path: str) -> list[Problem]: ...

        def display_of(self, path: str) -> str: ...  # a handoff's path as findings print it


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


class Verdict(NamedTuple):
    path: str | None  # the latest handoff, None when the task has none
    errors: list[Problem]  # its error findings: empty when it is valid

    @property
    def valid(self) -> bool:
        return self.path is not None and not self.errors


def verdict(tree: HandoffTree, task_id: str) -> Verdict:
    """The task's latest handoff in `tree`, and its errors."""
    index = getattr(tree, "latest_by_task", None)
    if index is None:  # worked out once per tree: a check asks for every task in review/done
        index = latest_index(tree.handoff_tasks())
        tree.latest_by_task = index
    path = index.get(task_id)
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


def latest_by_task(handoffs: list[Handoff]) -> dict[str, Handoff]:
    """Each task's latest handoff, by `latest_index`."""
    by_path = {handoff.path: handoff for handoff in handoffs}
    index = latest_index((handoff.path, handoff.task) for handoff in handoffs)
    return {task_id: by_path[path] for task_id, path in index.items()}
