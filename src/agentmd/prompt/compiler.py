"""The prompt compiler: one self-contained, token-budgeted prompt for a task.

Parts, in this order: the plan's goal and constraints; the task; what its dependencies'
latest handoffs completed, decided and warned of; the rules that apply; the decisions and
gotchas that apply, newest first; earlier attempts; how to finish. Over budget, items are left
out in DROP_ORDER and the footer lists them; if the prompt still does not fit, the task is too
large to delegate.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from agentmd.errors import LocatedError, NothingToDo
from agentmd.files import globs
from agentmd.files.document import Document
from agentmd.handoffs import names
from agentmd.prompt.tokens import ESTIMATE, Counter
from agentmd.workspace.folder import Workspace
from agentmd.workspace.records import Note, Task, as_list

# What is left out first when a prompt is over budget (documented in docs/prompt.md).
DROP_ORDER = ("memory", "dependencies", "rules", "constraints")


@dataclass
class Item:
    part: str
    name: str  # what the footer calls it when left out
    text: str
    order: int = 0  # within a part: lower is left out first
    required: bool = False
    tokens: int = 0
    heading: bool = False  # a part's heading: shown only while some item of its part is


@dataclass
class Compiled:
    task: Task
    prompt: str
    tokens: int
    budget: int
    parts: list[tuple[str, int]]
    dropped: list[Item] = field(default_factory=list)
    counter: str = "estimate"

    def as_json(self) -> dict:
        return {
            "task": self.task.summary(),
            "prompt": self.prompt,
            "tokens": self.tokens,
            "budget": self.budget,
            "counter": self.counter,
            "parts": [{"name": name, "tokens": tokens} for name, tokens in self.parts],
            "dropped": [
                {"part": item.part, "item": item.name, "tokens": item.tokens}
                for item in self.dropped
            ],
        }


class TooLarge(NothingToDo):
    pass


PARTS = (
    "header",
    "plan",
    "constraints",
    "task",
    "dependencies",
    "rules",
    "memory",
    "attempts",
    "finish",
)


def compile_prompt(
    ws: Workspace, task: Task, budget: int | None = None, counter: Counter = ESTIMATE
) -> Compiled:
    budget = budget or ws.settings.prompt_budget
    items = gather(ws, task)
    for item in items:
        item.tokens = counter.count(item.text)
    kept = list(items)
    dropped: list[Item] = []
    droppable = sorted(
        (item for item in items if not item.required),
        key=lambda item: (DROP_ORDER.index(item.part), item.order),
    )
    while True:
        prompt = assemble(kept, dropped, budget)
        total = counter.count(prompt)
        if total <= budget:
            break
        if not droppable:
            needed = sum(item.tokens for item in kept)
            raise TooLarge(
                f"task '{task.id}' is too large to delegate: its prompt needs about {needed:,} "
                f"tokens even with everything optional left out, and the budget is {budget:,}",
                f"decompose it: split .agents/{task.path} into smaller tasks (agentmd add ... "
                "--depends-on ...), or shorten its body",
            )
        # Leave out just enough: the cheapest way is to drop in order until the sum fits.
        excess = total - budget
        while droppable and excess > 0:
            item = droppable.pop(0)
            kept.remove(item)
            dropped.append(item)
            excess -= item.tokens
    parts: dict[str, int] = {}
    filled = {item.part for item in kept if not item.heading}
    for item in kept:
        if item.part in filled:
            parts[item.part] = parts.get(item.part, 0) + item.tokens
    return Compiled(
        task,
        prompt,
        total,
        budget,
        [(name, parts[name]) for name in PARTS if name in parts],
        dropped,
        counter.name,
    )


def assemble(items: list[Item], dropped: list[Item], budget: int) -> str:
    filled = {item.part for item in items if not item.heading}
    shown = [
        item for item in items if item.text.strip() and (not item.heading or item.part in filled)
    ]
    text = "\n\n".join(item.text.strip("\n") for item in shown) + "\n"
    if dropped:
        left_out = "; ".join(f"{item.name} (~{item.tokens:,} tokens)" for item in dropped)
        text += (
            f"\n---\nLeft out to fit the {budget:,}-token budget: {left_out}. "
            "Read them under .agents/ if you need them.\n"
        )
    return text


# -- gathering the parts --------------------------------------------------------------------


def gather(ws: Workspace, task: Task) -> list[Item]:
    doc = _read_task(ws, task)
    items = [
        Item("header", "header", _header(task), required=True),
        *_plan(ws),
        Item("task", "task", _task(task, doc), required=True),
        *_moved(ws, task),
        *_dependencies(ws, task),
        *_rules(ws, task),
        *_memory(ws, task),
        *_attempts(doc),
        Item("finish", "finish", _finish(task), required=True),
    ]
    return items


def _moved(ws: Workspace, task: Task) -> list[Item]:
    """What changed in the task's inputs since it was planned (tasks/moved.py)."""
    from agentmd.tasks import moved

    found = moved.changed_since(ws, task)
    if found is None:
        return []
    return [Item("dependencies", "what changed since it was written", moved.prompt_part(found))]


def _read_task(ws: Workspace, task: Task) -> Document:
    if task.broken and task.record.problem:
        raise LocatedError(task.record.problem)
    return ws.read(task.path)


def _header(task: Task) -> str:
    return (
        f"# {task.title}\n\n"
        "You are a coding agent starting a fresh session on one task in this repository. "
        "Everything you need is below: the project, the task and its scope, what earlier "
        "sessions finished and decided, the rules to follow, and how to hand off. Work on this "
        "task only."
    )


def _plan(ws: Workspace) -> list[Item]:
    path = ws.agents / "plan.md"
    if not path.exists():
        return []
    try:
        doc = ws.read("plan.md")
    except LocatedError:
        return []
    title = str(doc.fields.get("title") or "") or next(
        (s.title for s in doc.sections if s.level == 1), "the project"
    )
    goal_section = doc.section("Goal", "Goals", "Objective", "Overview")
    goal = goal_section.full if goal_section else str(doc.fields.get("goal") or "")
    items = [Item("plan", "plan goal", f"## Project: {title}\n\n{goal}".rstrip(), required=True)]
    constraints = doc.section("Constraints", "Non-goals", "Principles")
    if constraints and constraints.full:
        items.append(
            Item("constraints", "plan constraints", f"### Constraints\n\n{constraints.full}")
        )
    return items


def _task(task: Task, doc: Document) -> str:
    out = [f"## Your task: {task.title}", ""]
    out.append(f"Task `{task.id}` (priority {task.priority}), file `.agents/{task.path}`.")
    first = doc.sections[0].line - doc.body_line if doc.sections else None
    preamble = "\n".join(doc.body.split("\n")[:first]).strip()
    titles = [s for s in doc.sections if s.level == 1]
    shown = [s for s in doc.sections if not (len(titles) == 1 and s is titles[0])]
    if len(titles) == 1 and titles[0].text:
        preamble = f"{preamble}\n\n{titles[0].text}".strip()
    if preamble:
        out += ["", "### Description" if shown else "### Goal", "", preamble]
    top = min((s.level for s in shown), default=2)
    for section in shown:
        if section.level == top and section.key() != "attempts" and section.full:
            out += ["", f"### {section.title}", "", section.full]
    if task.verify:
        out += [
            "",
            "### Verify",
            "",
            "The task is done when these commands pass, run from the repository root:",
            "",
        ]
        out += ["```sh", *task.verify, "```"]
    else:
        out += [
            "",
            "### Verify",
            "",
            "No verify command is declared: say in the handoff how you checked the work.",
        ]
    out += ["", "### Scope", ""]
    if task.inputs:
        out.append("Read for context:")
        out += [f"- `{path}`" for path in task.inputs]
    if task.outputs:
        out += [""] if task.inputs else []
        out.append("Change only these files (if another file must change, say why in the handoff):")
        out += [f"- `{path}`" for path in task.outputs]
    else:
        out.append(
            "No outputs are declared: keep the change small and list every file you touch in the handoff."
        )
    return "\n".join(out)


def _dependencies(ws: Workspace, task: Task) -> list[Item]:
    items = []
    for order, dep_id in enumerate(task.depends_on):
        dep = ws.tasks.get(dep_id)
        if dep is None:
            continue
        latest = ws.latest_handoffs.get(dep_id)
        head = f"### `{dep_id}`: {dep.title}"
        if latest is None:
            body = "No handoff was written for it."
        else:
            try:
                doc = ws.read(latest.path)
            except LocatedError:
                continue
            found = names.sections_of(doc)
            lines = [f"From `.agents/{latest.path}`:"]
            for name, label in (
                ("Completed", "Completed"),
                ("Decisions", "Decided"),
                ("Gotchas", "Watch out for"),
            ):
                section = found.get(name)
                if (
                    section
                    and section.full
                    and section.full.strip().lower() not in ("none", "none.")
                ):
                    lines += ["", f"{label}:", section.full]
            body = "\n".join(lines)
        items.append(
            Item("dependencies", f"handoff of {dep_id}", f"{head}\n\n{body}", order=-order)
        )
    if items:
        items.insert(
            0,
            Item(
                "dependencies",
                "dependencies heading",
                "## What the tasks it depends on left you",
                required=True,
                heading=True,
            ),
        )
    return items if len(items) > 1 else []


def _applies(note: Note, task: Task, tags: tuple[str, ...]) -> bool:
    if note.always:
        return True
    if note.applies_to and globs.any_overlap(note.applies_to, task.paths):
        return True
    if note.tags and set(note.tags) & set(tags):
        return True
    return False


def _note_body(ws: Workspace, note: Note) -> str | None:
    try:
        return ws.read(note.path).body.strip()
    except LocatedError:
        return None


def _tags(task: Task) -> tuple[str, ...]:
    return as_list(task.record.fields.get("tags"))


def _rules(ws: Workspace, task: Task) -> list[Item]:
    tags = _tags(task)
    chosen = [rule for rule in ws.rules if _applies(rule, task, tags)]
    items = []
    for rule in sorted(chosen, key=lambda r: (not r.always, r.path)):
        body = _note_body(ws, rule)
        if body is None:
            continue
        scope = (
            "always"
            if rule.always
            else "applies to " + ", ".join(f"`{g}`" for g in rule.applies_to or rule.tags)
        )
        text = f"### {rule.title} ({scope})\n\n{body}"
        items.append(Item("rules", f"rule {rule.path}", text, required=rule.always))
    for order, item in enumerate(
        sorted((i for i in items if not i.required), key=lambda i: -len(i.text))
    ):
        item.order = order
    if items:
        items.insert(
            0, Item("rules", "rules heading", "## Rules that apply", required=True, heading=True)
        )
    return items


def _memory(ws: Workspace, task: Task) -> list[Item]:
    tags = _tags(task)
    notes = [
        note
        for note in (*ws.decisions, *ws.gotchas)
        if _applies(note, task, tags) or (not note.applies_to and not note.tags)
    ]
    notes.sort(key=lambda n: (n.date, n.path), reverse=True)  # newest first
    items = []
    for age, note in enumerate(notes):
        body = _note_body(ws, note)
        if body is None:
            continue
        when = f"{note.date}, " if note.date else ""
        text = f"### {note.kind.capitalize()}: {note.title} ({when}`.agents/{note.path}`)\n\n{body}"
        items.append(Item("memory", f"{note.kind} {note.path}", text, order=-age))
    if items:
        items.insert(
            0,
            Item(
                "memory",
                "memory heading",
                "## Decisions and gotchas that apply (newest first)",
                required=True,
                heading=True,
            ),
        )
    return items if len(items) > 1 else []


def _attempts(doc: Document) -> list[Item]:
    section = doc.section("Attempts")
    if section is None or not section.full:
        return []
    return [
        Item(
            "attempts",
            "earlier attempts",
            "## Earlier attempts\n\nThis task was tried before and sent back. Do not repeat these "
            f"problems:\n\n{section.full}",
            required=True,
        )
    ]


def _finish(task: Task) -> str:
    return "\n".join(
        [
            "## When you finish",
            "",
            (
                f"1. Make the verify commands pass, then record it: `agentmd verify {task.id}` "
                "(after your last commit: `done` accepts a pass at the current commit only)."
                if task.verify
                else "1. Check your work."
            ),
            f"2. Write the handoff: `agentmd handoff new {task.id}` creates "
            f"`.agents/handoffs/<date>-{task.id}.md`. Fill every section (Summary, Completed, "
            "Remaining, Decisions, Gotchas, Next action, Artifacts, Verification) with concrete "
            "file paths, functions and commands; Artifacts lists exactly the files you changed.",
            "3. Check it: `agentmd handoff check`.",
            f"4. Mark the task done: `agentmd done {task.id}` (refused, with the reason, until steps 1-3 hold). If you cannot finish, "
            f'`agentmd fail {task.id} --reason "..."` says why for the next attempt.',
        ]
    )
