"""The task graph: which tasks are ready, in what order, what blocks the rest, and cycles."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from operator import attrgetter
from typing import Any, NamedTuple, Protocol

from agentmd.workspace.records import PRIORITIES, Task

PRIORITY_RANK = {name: rank for rank, name in enumerate(PRIORITIES)}


class Errors(Protocol):
    """Task id -> why `check` calls the task broken (a dict, or checks/readiness.Readiness,
    which works each task out only when asked)."""

    def get(self, key: str, default: Any = ..., /) -> Any: ...


class Candidate(NamedTuple):  # (a NamedTuple: built for each ready task, 3,500 at 10,000 tasks)
    task: Task
    unblocks: int  # tasks not yet done that wait on it, directly or transitively

    def reason(self) -> str:
        parts = [f"priority {self.task.priority}", f"unblocks {self.unblocks}"]
        parts.append(f"created {self.task.created}" if self.task.created else "no created date")
        return ", ".join(parts)


class Plan(NamedTuple):
    ready: list[Candidate]  # in the order `next` takes them
    blocked: dict[str, list[str]]  # todo task id -> why it is not ready
    cycles: list[list[str]]


def blockers(
    task: Task, tasks: dict[str, Task], errors: Errors | None = None
) -> list[str]:
    """Why a todo task is not ready; empty when it is. Fails closed on what it cannot know.
    `errors`: the findings `check` has on tasks (checks/readiness.py): a task with one is not
    ready either."""
    if task.broken:
        return ["its file cannot be read"]
    reasons = list((errors or {}).get(task.id, ()))
    for dep in task.depends_on:
        other = tasks.get(dep)
        if other is None:
            reasons.append(f"depends on unknown task '{dep}'")
        elif other.broken:
            reasons.append(f"depends on '{dep}', whose file cannot be read")
        elif other.status != "done":
            reasons.append(f"depends on '{dep}' ({other.status})")
    return reasons


def analyse(tasks: dict[str, Task], errors: Errors | None = None) -> Plan:
    ready_tasks, blocked = [], {}
    for task in tasks.values():
        if task.status != "todo" and not task.broken:
            continue
        reasons = blockers(task, tasks, errors)
        if reasons:
            blocked[task.id] = reasons
        else:
            ready_tasks.append(task)
    counts = unblock_counts(tasks)
    ready = [Candidate(task, counts.get(task.id, 0)) for task in ready_tasks]
    ready.sort(key=order_key)
    return Plan(ready, blocked, find_cycles(tasks))


def ready(tasks: dict[str, Task], errors: Errors | None = None) -> list[Candidate]:
    """`analyse(tasks).ready` without the reasons for the blocked tasks or the search for
    cycles, which picking a task does not need (a task on a cycle is never ready) and which
    cost a tenth of a second and megabytes at 10,000 tasks."""
    found = [t for t in tasks.values() if t.status == "todo" and not blockers(t, tasks, errors)]
    return rank(found, unblock_counts(tasks))


def unblocked(tasks: dict[str, Task]) -> list[Task]:
    """The todo tasks nothing blocks (`check`'s findings aside), in the plan's order: those
    `blockers` finds nothing against, asked without its reasons (7,000 todo tasks' lists)."""
    get = tasks.get
    found = []
    for task in tasks.values():
        if task.status != "todo" or task.broken:
            continue
        for dep in task.depends_on:
            other = get(dep)
            if other is None or other.broken or other.status != "done":
                break
        else:
            found.append(task)
    return found


def unknown_status(tasks: dict[str, Task], statuses: Sequence[str]) -> dict[str, list[str]]:
    """The tasks whose status is none of `statuses` (a typo, another tool's `in-progress`):
    never handed out, and no blocker says why, as they are not todo either."""
    known = ", ".join(statuses)
    return {
        task.id: [f"status '{task.status}' is none of {known}: never handed out"]
        for task in sorted(tasks.values(), key=attrgetter("id"))
        if task.status not in statuses
    }


def rank(ready_tasks: list[Task], counts: dict[str, int]) -> list[Candidate]:
    """Ready tasks in the order `next` takes them, with their `unblock_counts`."""
    count = counts.get
    found = [_candidate((task, count(task.id, 0))) for task in ready_tasks]
    found.sort(key=order_key)
    return found


_candidate = partial(tuple.__new__, Candidate)  # its own constructor is a Python call


def order_key(candidate: Candidate) -> tuple:
    task, unblocks = candidate
    created = task.record.fields.get("created")  # Task.created, asked of 3,500 in one sort
    created = "" if created is None else created if type(created) is str else str(created)
    return (PRIORITY_RANK.get(task.priority, 1), -unblocks, created == "", created, task.id)


class KeptCounts:
    """`unblock_counts`, and the tasks waiting on each, kept between rankings in one process
    (the loop): they follow from the ids of the tasks not done and their dependencies alone,
    so they are worked out again only when one of those changed. A tasks dict is never
    changed once built (Workspace.tasks builds a new one for each read): asked again of the
    same dict, nothing is compared."""

    def __init__(self) -> None:
        self.edges: dict[str, Sequence[str]] | None = None
        self.counts: dict[str, int] = {}
        self._waiting: Waiting | None = None
        # The tasks last asked of: the same dict (a read's Workspace.tasks) asked again, as
        # each prompt compiled in a cycle does, is the same edges (7,000 of them built and
        # compared eight times a cycle were 30 ms).
        self._tasks: dict[str, Task] | None = None

    def of(self, tasks: dict[str, Task]) -> dict[str, int]:
        self._update(tasks)
        return self.counts

    def waiting(self, tasks: dict[str, Task]) -> Waiting:
        """Task id -> the ids of the tasks not done that depend on it, sorted."""
        self._update(tasks)
        if self._waiting is None:
            self._waiting = Waiting(self.edges or {})
        return self._waiting

    def _update(self, tasks: dict[str, Task]) -> None:
        if tasks is self._tasks:
            return
        edges = {tid: task.depends_on for tid, task in tasks.items() if task.status != "done"}
        if edges != self.edges:
            self.edges, self.counts, self._waiting = edges, unblock_counts(tasks), None
        self._tasks = tasks


class Waiting:
    """Task id -> the ids of the tasks not done that depend on it, sorted, each task's worked
    out when it is asked for (and kept): a prompt asks for one task's, and the whole map of
    7,000 tasks not done is 0.7 MB."""

    def __init__(self, edges: dict[str, Sequence[str]]) -> None:
        self._edges = edges  # task not done -> its dependencies
        self._found: dict[str, list[str]] = {}

    def get(self, tid: str, default: Sequence[str] = ()) -> Sequence[str]:
        found = self._found.get(tid)
        if found is None:
            found = self._found[tid] = sorted(
                other for other, deps in self._edges.items() if tid in deps
            )
        return found or default

    def __getitem__(self, tid: str) -> list[str]:
        found = self.get(tid)
        if not found:
            raise KeyError(tid)
        return list(found)


def unblock_counts(tasks: dict[str, Task]) -> dict[str, int]:
    """For each task, how many unfinished tasks depend on it transitively.

    Bitsets (Python ints) over a reverse topological order keep this near-linear for 10,000
    tasks; tasks on a cycle count what can be reached before the cycle.
    """
    ids = [tid for tid, task in tasks.items() if task.status != "done"]
    # Tasks are numbered, and what is known of each is kept in lists by number: a dict per
    # fact of 7,000 tasks is 300 KB, a list 56 KB. A task's bit is its number, made when read,
    # not kept: 7,000 ints of up to 7,000 bits each are megabytes.
    position = {tid: n for n, tid in enumerate(ids)}
    number = position.get
    deps = [
        [n for d in set(tasks[tid].depends_on) if (n := number(d)) is not None] for tid in ids
    ]
    del position
    dependents: list[list[int] | None] = [None] * len(ids)
    pending = [0] * len(ids)  # dependents not yet computed
    for me, parents in enumerate(deps):
        for dep in parents:
            waiting = dependents[dep]
            if waiting is None:
                dependents[dep] = [me]
            else:
                waiting.append(me)
            pending[dep] += 1
    # A task's set is dropped once every task that reads it (its dependencies) has: thousands
    # of sets of thousands of bits each are megabytes.
    readers = [len(parents) for parents in deps]
    reach = [0] * len(ids)
    counts: dict[str, int] = {}
    stack = [me for me, waiting in enumerate(pending) if waiting == 0]
    while stack:
        me = stack.pop()
        mask = 0
        for child in dependents[me] or ():
            mask |= reach[child] | 1 << child
            readers[child] -= 1
            if readers[child] == 0:
                reach[child] = 0
        counts[ids[me]] = mask.bit_count()
        if readers[me]:
            reach[me] = mask
        for dep in deps[me]:
            pending[dep] -= 1
            if pending[dep] == 0:
                stack.append(dep)
    return counts


def find_cycles(tasks: dict[str, Task]) -> list[list[str]]:
    """Each dependency cycle once, as the ids around it (Tarjan's SCC, iteratively), searched
    among the tasks `_unsettled` leaves: none at all in a plan without a cycle."""
    left = _unsettled(tasks)
    if not left:
        return []
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    cycles: list[list[str]] = []
    counter = 0
    for root in sorted(left):
        if root in index:
            continue
        work = [(root, iter(sorted(d for d in tasks[root].depends_on if d in left)))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append(
                        (child, iter(sorted(d for d in tasks[child].depends_on if d in left)))
                    )
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in tasks[node].depends_on:
                    cycles.append(_rotate(component[::-1]))
    return sorted(cycles)


def _unsettled(tasks: dict[str, Task]) -> set[str]:
    """The tasks on a dependency cycle or waiting on one: what is left once the tasks whose
    dependencies are all settled are taken away, again and again (Kahn's algorithm, linear).
    A settled task reaches no cycle, so the search finds the same cycles, in the same order,
    among the rest (a tenth of `check`'s time at 10,000 tasks, searched among all)."""
    pending: dict[str, int] = {}
    waiting: dict[str, list[str]] = {}
    settled: list[str] = []
    for task_id, task in tasks.items():
        deps = {dep for dep in task.depends_on if dep in tasks}
        pending[task_id] = len(deps)
        if not deps:
            settled.append(task_id)
        for dep in deps:
            waiting.setdefault(dep, []).append(task_id)
    while settled:
        for waiter in waiting.get(settled.pop(), ()):
            pending[waiter] -= 1
            if not pending[waiter]:
                settled.append(waiter)
    return {task_id for task_id, count in pending.items() if count}


def _rotate(cycle: list[str]) -> list[str]:
    first = cycle.index(min(cycle))
    return cycle[first:] + cycle[:first]
