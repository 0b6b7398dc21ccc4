"""Ready tasks that can run side by side: outputs that do not overlap, files not coupled."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from agentmd.files import globs
from agentmd.tasks import coupling, graph
from agentmd.tasks.coupling import Coupling
from agentmd.tasks.graph import Candidate
from agentmd.workspace.folder import Workspace
from agentmd.workspace.records import Task

BUSY = ("active", "review")  # tasks whose outputs are being changed right now


@dataclass(frozen=True)
class Held:
    """A ready task left out of the batch, and the task and file that kept it out."""

    task: Task
    because: str  # the other task's id ("" when the task itself is the reason)
    reason: str

    def render(self) -> str:
        return (
            f"{self.task.id}: held back by {self.because}: {self.reason}"
            if self.because
            else f"{self.task.id}: {self.reason}"
        )


@dataclass(frozen=True)
class Selection:
    chosen: list[Task]
    held: list[Held]


class _Scope:
    """A task's outputs and the coupled files they cover, computed once."""

    def __init__(self, task: Task, history: Coupling):
        self.task = task
        self.outputs = task.outputs
        self.coupled = history.files_of(task.outputs) if history.partners and task.outputs else []
        self.resources = task.resources  # exclusive: [db], [gpu]


def _coupling_count(a: _Scope, b: _Scope, history: Coupling) -> int | None:
    """How often the two tasks' files changed together, when coupling is what keeps them apart."""
    if not (a.outputs and b.outputs) or globs.any_overlap(a.outputs, b.outputs, True, True):
        return None
    found = history.between(a.coupled, b.coupled) if a.coupled and b.coupled else None
    return found[2] if found else None


def conflict(a: _Scope, b: _Scope, history: Coupling) -> str | None:
    """Why `a` cannot run beside `b`, naming the file; None when they can."""
    if a.resources and b.resources:
        shared = sorted(set(a.resources) & set(b.resources))
        if shared:
            return f"both need the resource {shared[0]}, which one task holds at a time"
    if not a.outputs:
        return "it declares no outputs, so it runs alone"
    if not b.outputs:
        return f"{b.task.id} declares no outputs, so it runs alone"
    pair = globs.any_overlap(a.outputs, b.outputs, rooted_a=True, rooted_b=True)
    if pair is not None:
        mine, theirs = pair
        same = f"both write {mine}" if mine == theirs else f"outputs {mine} and {theirs} overlap"
        return same
    if a.coupled and b.coupled:
        found = history.between(a.coupled, b.coupled)
        if found is not None:
            mine, theirs, count = found
            return (
                f"{mine} and {theirs} changed together in {count} of the last "
                f"{history.window} commits"
            )
    return None


def select(
    ready: list[Candidate],
    busy: list[Task],
    limit: int,
    history: Coupling,
    accept: Callable[[Task], str | None] | None = None,
) -> Selection:
    """Up to `limit` ready tasks, in `next` order, that conflict neither with each other nor
    with a task in progress (`busy`). `accept` may refuse a task with a reason (too large)."""
    taken = [_Scope(task, history) for task in busy]
    chosen: list[_Scope] = []
    held: list[Held] = []
    for candidate in ready:
        if len(chosen) >= limit:
            break
        scope = _Scope(candidate.task, history)
        reason, because = None, ""
        strongest = -1
        for other in (*taken, *chosen):
            found = conflict(scope, other, history)
            if found is None:
                continue
            count = _coupling_count(scope, other, history)
            if count is None:  # overlapping outputs, or no outputs: that decides it
                reason, because = found, other.task.id
                if found.startswith("it declares"):
                    because = ""
                break
            if count > strongest:  # coupling: name the strongest pair of all
                reason, because, strongest = found, other.task.id, count
        if reason is None and accept is not None:
            reason = accept(candidate.task)
        if reason is not None:
            held.append(Held(candidate.task, because, reason))
            continue
        chosen.append(scope)
    return Selection([scope.task for scope in chosen], held)


def busy_tasks(tasks: dict[str, Task]) -> list[Task]:
    return [task for task in sorted(tasks.values(), key=lambda t: t.id) if task.status in BUSY]


def pick(
    ws: Workspace,
    limit: int,
    accept: Callable[[Task], str | None] | None = None,
    errors: graph.Errors | None = None,
) -> Selection:
    """The batch `next --parallel` prints, from the workspace as it is now; `errors` are the
    tasks `check` calls broken (checks/readiness.py), never picked: asked about each task in
    turn, as the batch is filled, so that a large plan is not checked whole."""
    sound = accept
    if errors is not None:

        def sound(task: Task) -> str | None:
            found = errors.get(task.id, ())
            if found:
                return "not ready: " + "; ".join(found)
            return accept(task) if accept is not None else None

    return select(ws.ranked, busy_tasks(ws.tasks), limit, coupling.load(ws), sound)


def ready(tasks: dict[str, Task], errors: graph.Errors | None = None) -> list[Candidate]:
    """The ready tasks in order, without the search for cycles (a task on one is never ready)."""
    return graph.ready(tasks, errors)

