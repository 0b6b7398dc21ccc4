"""Memory that stays small: a decision may `supersede: [ids]` older ones (which then leave the
prompts and stay on disk), and the decisions and gotchas that apply to one task must fit
`memory_budget` tokens."""

from __future__ import annotations

from agentmd import AGENTS_DIR
from agentmd.errors import LocatedError, Problem
from agentmd.memory.routing import Files, applies, tags_of
from agentmd.prompt.tokens import Counter
from agentmd.workspace.folder import Workspace
from agentmd.workspace.records import Note, Task, as_list

DEFAULT_MEMORY_BUDGET = 4000


def supersedes(note: Note) -> tuple[str, ...]:
    return as_list(note.record.fields.get("supersede"))


def superseded(ws: Workspace) -> dict[str, list[Note]]:
    """Each superseded decision's id (file stem) -> the decisions that supersede it."""
    by: dict[str, list[Note]] = {}
    for note in ws.decisions:
        for old in supersedes(note):
            by.setdefault(old, []).append(note)
    return by


def current(ws: Workspace, notes: list[Note]) -> list[Note]:
    """The notes a prompt may carry: superseded decisions left out."""
    gone = superseded(ws)
    return [n for n in notes if n.kind != "decision" or n.record.stem not in gone]


def supersede_problems(ws: Workspace) -> list[Problem]:
    problems = []
    ids = {note.record.stem: note for note in ws.decisions}
    for old, newer in sorted(superseded(ws).items()):
        if old not in ids:
            first = newer[0]
            problems.append(
                Problem(
                    ws.display(first.path),
                    first.record.line("supersede"),
                    1,
                    "supersede-unknown",
                    f"supersedes '{old}', which is not a decision in .agents/memory/decisions/",
                    "use the superseded decision's file stem",
                    "warning",
                )
            )
        if len(newer) > 1:
            names = " and ".join(n.record.stem for n in newer)
            for note in newer[1:]:
                problems.append(
                    Problem(
                        ws.display(note.path),
                        note.record.line("supersede"),
                        1,
                        "supersede-twice",
                        f"decision '{old}' is superseded twice, by {names}",
                        "one decision supersedes another: let the later one supersede the "
                        "earlier successor instead",
                    )
                )
    problems += _cycles(ws, ids)
    return problems


def _cycles(ws: Workspace, ids: dict[str, Note]) -> list[Problem]:
    edges = {stem: [o for o in supersedes(note) if o in ids] for stem, note in ids.items()}
    problems, reported = [], set()
    for start in sorted(edges):
        path, seen = [start], {start}
        node = start
        while edges.get(node):
            node = edges[node][0]
            if node == start:
                cycle = frozenset(path)
                if cycle not in reported:
                    reported.add(cycle)
                    note = ids[start]
                    round_ = " -> ".join([*path, start])
                    problems.append(
                        Problem(
                            ws.display(note.path),
                            note.record.line("supersede"),
                            1,
                            "supersede-cycle",
                            f"decisions supersede each other in a circle: {round_}",
                            "the newest decision supersedes the older ones, never the reverse",
                        )
                    )
                break
            if node in seen:
                break
            path.append(node)
            seen.add(node)
    return problems


def applying(ws: Workspace, task: Task) -> list[Note]:
    """The decisions and gotchas a task's prompt carries (as the prompt compiler picks them)."""
    tags = tags_of(task)
    files = Files(ws)
    notes = [
        note
        for note in (*ws.decisions, *ws.gotchas)
        if applies(note, task, tags, files) or (not note.applies_to and not note.tags)
    ]
    if not any(n.record.fields.get("supersede") for n in ws.decisions):
        return notes  # nothing superseded: no need to work it out
    return current(ws, notes)


def memory_budget(ws: Workspace) -> int:
    value = ws.settings.raw.get("memory_budget", DEFAULT_MEMORY_BUDGET)
    ok = isinstance(value, int) and not isinstance(value, bool) and value > 0
    return value if ok else DEFAULT_MEMORY_BUDGET


def budget_problems(ws: Workspace, counter: Counter) -> list[Problem]:
    """Each open task whose applicable decisions and gotchas cost more than memory_budget. A
    note's tokens never exceed its bytes, so when all the notes together are smaller than the
    budget in bytes no task is looked at (the usual case, and the one a large plan must not pay
    for)."""
    budget = memory_budget(ws)
    notes = current(ws, [*ws.decisions, *ws.gotchas])
    size = ws.size_of
    if sum(size(note.path, budget) for note in notes) <= budget:
        return []
    cost: dict[str, int] = {}
    for note in notes:
        try:
            cost[note.path] = counter.count(ws.read(note.path).body)
        except LocatedError:
            cost[note.path] = 0
    if sum(cost.values()) <= budget:
        return []
    problems = []
    seen: dict[tuple, list[Note]] = {}
    for task in ws.tasks.values():
        if task.broken or task.status in ("done", "failed"):
            continue
        key = (task.paths, as_list(task.record.fields.get("tags")))
        chosen = seen.get(key)
        if chosen is None:
            chosen = seen[key] = applying(ws, task)
        total = sum(cost.get(n.path, 0) for n in chosen)
        if total <= budget:
            continue
        ranked = sorted(chosen, key=lambda n: -cost.get(n.path, 0))
        detail = "; ".join(f"{AGENTS_DIR}/{n.path} {cost.get(n.path, 0):,}" for n in ranked)
        problems.append(
            Problem(
                ws.display(task.path),
                1,
                1,
                "memory-budget",
                f"the decisions and gotchas that apply to task '{task.id}' cost {total:,} "
                f"tokens, over memory_budget {budget:,} ({detail})",
                "let a newer decision supersede old ones (supersede: [ids]), narrow applies_to, "
                "or raise memory_budget in .agents/plan.md",
                "warning",
            )
        )
    return problems


def memory_problems(ws: Workspace, counter: Counter) -> list[Problem]:
    return supersede_problems(ws) + budget_problems(ws, counter)

