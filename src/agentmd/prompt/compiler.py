"""The prompt compiler: one self-contained, token-budgeted prompt for a task.

Parts, in this order: the plan's goal and constraints; the task; what its dependencies'
latest handoffs completed, decided and warned of; the tasks waiting on it; the rules that
apply; the decisions and gotchas that apply, newest first; earlier attempts; how to finish,
in the words of the mode the prompt is for (MODES). Over budget, items are left
out in DROP_ORDER and the footer lists them; if the prompt still does not fit, the task is too
large to delegate.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from agentmd import AGENTS_DIR
from agentmd.errors import LocatedError, NothingToDo, Problem
from agentmd.files.document import Document
from agentmd.handoffs import names
from agentmd.memory.notes import applying
from agentmd.memory.routing import Files, applies, tags_of
from agentmd.prompt.tokens import ESTIMATE, Counter
from agentmd.workspace.folder import Workspace
from agentmd.workspace.records import Note, Task

# What is left out first when a prompt is over budget (documented in docs/prompt.md).
DROP_ORDER = ("memory", "waiting", "dependencies", "rules", "constraints")

# Who reads the prompt, which decides how it ends: printed by plain `next` (the task is not
# claimed), for a claimed task (`next --claim`, `claim`), or for a worker of `agentmd run`.
# A task with earlier attempts is a retry in any of them: its steps start with those problems.
MODES = ("plain", "claimed", "loop")


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
    warnings: list[Problem] = field(default_factory=list)  # e.g. plan.md's unfilled template

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
    "waiting",
    "rules",
    "memory",
    "attempts",
    "finish",
)


def compile_prompt(
    ws: Workspace,
    task: Task,
    budget: int | None = None,
    counter: Counter = ESTIMATE,
    mode: str | None = None,
) -> Compiled:
    """The task's prompt; `mode` (MODES) defaults to claimed for an active task, else plain."""
    budget = budget or ws.settings.prompt_budget
    mode = mode or ("claimed" if task.status == "active" else "plain")
    warnings: list[Problem] = []
    items = gather(ws, task, mode, warnings)
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
                f"decompose it: split {ws.display(task.path)} into smaller tasks (agentmd add ... "
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
        warnings,
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


def gather(
    ws: Workspace, task: Task, mode: str = "plain", warnings: list[Problem] | None = None
) -> list[Item]:
    doc = _read_task(ws, task)
    attempts = _attempts(doc)
    items = [
        Item("header", "header", _header(ws, task, mode), required=True),
        *_plan(ws, warnings if warnings is not None else []),
        Item("task", "task", _task(task, doc), required=True),
        *_moved(ws, task),
        *_dependencies(ws, task),
        *_waiting(ws, task),
        *_rules(ws, task),
        *_memory(ws, task),
        *attempts,
        Item("finish", "finish", _finish(task, mode, retry=bool(attempts)), required=True),
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
    return ws.read_kept(task.path)


HOST_FILES = ("AGENTS.md", "CLAUDE.md")  # what agent hosts load from the repository root


def _header(ws: Workspace, task: Task, mode: str) -> str:
    text = (
        f"# {task.title}\n\n"
        "You are a coding agent starting a fresh session on one task in this repository. "
        "Everything you need is below: the project, the task and its scope, what earlier "
        "sessions finished and decided, the rules to follow, and how to hand off. Work on this "
        "task only."
    )
    present = _host(ws)[0]
    if present:
        names = " and ".join(f"`{name}`" for name in present)
        text += (
            f" The repository's own {names} {'is' if len(present) == 1 else 'are'} not repeated "
            "here: your agent host loads them; if yours does not, read them first."
        )
    if mode == "plain" and task.status == "todo":
        text += (
            f"\n\nThis prompt is for reading: task `{task.id}` is not claimed yet. To work on "
            'it, claim it first (step 1 under "When you finish"): the claim records the commit '
            "your work starts from, which the handoff and `agentmd done` are checked against."
        )
    elif mode == "plain":  # (the board's page of a task done, active or failed)
        text += f"\n\nThis prompt is for reading: task `{task.id}` is {task.status}."
    return text


def _plan(ws: Workspace, warnings: list[Problem]) -> list[Item]:
    path = ws.agents / "plan.md"
    if not path.exists():
        return []
    try:
        doc = ws.read_kept("plan.md")
    except LocatedError:
        return []
    from agentmd.workspace.scaffold import plan_prompts

    placeholders = plan_prompts()
    title = str(doc.fields.get("title") or "") or next(
        (s.title for s in doc.sections if s.level == 1), "the project"
    )
    goal_section = doc.section("Goal", "Goals", "Objective", "Overview")
    goal = goal_section.full if goal_section else str(doc.fields.get("goal") or "")
    for section in (goal_section, doc.section("Constraints", "Non-goals", "Principles")):
        if section is not None and section.full and placeholders.get(section.key()) == section.full:
            warnings.append(
                Problem(
                    doc.display,
                    section.line,
                    1,
                    "plan-unfilled",
                    f"section '{section.title}' still holds the template's text: left out of "
                    "the prompt",
                    "write what this project is for: every prompt starts with it"
                    if section is goal_section
                    else "write the project's constraints, or delete the section",
                    "warning",
                )
            )
    if goal_section is not None and placeholders.get(goal_section.key()) == goal:
        goal = ""
    items = [Item("plan", "plan goal", f"## Project: {title}\n\n{goal}".rstrip(), required=True)]
    constraints = doc.section("Constraints", "Non-goals", "Principles")
    if constraints and placeholders.get(constraints.key()) == constraints.full:
        constraints = None
    if constraints and constraints.full:
        items.append(
            Item("constraints", "plan constraints", f"### Constraints\n\n{constraints.full}")
        )
    return items


def _task(task: Task, doc: Document) -> str:
    out = ["## Your task", ""]  # its title is the prompt's first line
    out.append(f"Task `{task.id}` (priority {task.priority}), file `{AGENTS_DIR}/{task.path}`.")
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
            "No outputs are declared: keep the change small "
            "and list every file you touch in the handoff."
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
                doc = ws.read_kept(latest.path)
            except LocatedError:
                continue
            found = names.sections_of(doc)
            lines = [f"From `{ws.display(latest.path)}`:"]
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


WAITING_GOAL_CHARS = 300  # of each waiting task's goal: what it expects, not all it says


def _waiting(ws: Workspace, task: Task) -> list[Item]:
    """The tasks not done yet that depend on this one: what they expect from it is the
    interface this task must keep."""
    items = []
    tasks = ws.tasks
    waiting = [tasks[tid] for tid in ws.unblocks.waiting(tasks).get(task.id, ())]
    for order, other in enumerate(waiting):
        line = f"- `{other.id}`: {other.title}"
        try:
            goal = ws.read_kept(other.path).section("Goal")
        except LocatedError:
            goal = None
        if goal is not None and goal.full:
            text = " ".join(goal.full.split())
            if len(text) > WAITING_GOAL_CHARS:
                text = text[:WAITING_GOAL_CHARS].rsplit(" ", 1)[0] + " ..."
            line += f"\n  Its goal: {text}"
        if other.inputs:
            line += "\n  It reads: " + ", ".join(f"`{path}`" for path in other.inputs)
        items.append(Item("waiting", f"waiting task {other.id}", line, order=-order))
    if items:
        items.insert(
            0,
            Item(
                "waiting",
                "waiting heading",
                "## Tasks waiting on this one\n\nThey build on what you make: keep to what "
                "they expect.",
                required=True,
                heading=True,
            ),
        )
    return items


def _note_body(ws: Workspace, note: Note) -> str | None:
    try:
        return ws.read_kept(note.path).body.strip()
    except LocatedError:
        return None


def _rules(ws: Workspace, task: Task) -> list[Item]:
    tags = tags_of(task)
    files = Files(ws)
    chosen = [rule for rule in ws.rules if applies(rule, task, tags, files)]
    items = []
    loaded = _host(ws)[1]
    carried = []  # always-rules a root host file holds word for word: the host loads them
    for rule in sorted(chosen, key=lambda r: (not r.always, r.path)):
        body = _note_body(ws, rule)
        if body is None:
            continue
        if rule.always and loaded and " ".join(body.split()) in loaded:
            carried.append(rule)
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
    if carried:
        names = " and ".join(f"`{name}`" for name in _host(ws)[0])
        titles = ", ".join(rule.title for rule in carried)
        text = (
            f"The rules that always apply ({titles}) are in {names}, which your agent host "
            "loads: they are not repeated here."
        )
        items.insert(0, Item("rules", "rules carried", text, required=True))
    if items:
        items.insert(
            0, Item("rules", "rules heading", "## Rules that apply", required=True, heading=True)
        )
    return items


def _host(ws: Workspace) -> tuple[list[str], str]:
    """The root's AGENTS.md and CLAUDE.md that are there, and their words, whitespace made
    single spaces (looked at once per read of the workspace): a rule they hold word for word
    reaches the session through its host, not through the prompt (the header says those files
    are not repeated)."""
    found = ws.__dict__.get("host_words")
    if found is None:
        names, texts = [], []
        for name in HOST_FILES:
            try:
                texts.append((ws.root / name).read_text(encoding="utf-8", errors="replace"))
                names.append(name)
            except OSError:  # not there (or a folder, unreadable): not loaded
                pass
        found = ws.__dict__["host_words"] = (names, " ".join(" ".join(texts).split()))
    return found


def _memory(ws: Workspace, task: Task) -> list[Item]:
    notes = applying(ws, task)  # superseded decisions left out
    notes.sort(key=lambda n: (n.date, n.path), reverse=True)  # newest first
    items = []
    for age, note in enumerate(notes):
        body = _note_body(ws, note)
        if body is None:
            continue
        when = f"{note.date}, " if note.date else ""
        where = ws.display(note.path)
        text = f"### {note.kind.capitalize()}: {note.title} ({when}`{where}`)\n\n{body}"
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


def _finish(task: Task, mode: str = "plain", retry: bool = False) -> str:
    """One set of finishing steps for the mode (MODES): what to commit and when, the handoff's
    status, and who marks the task done."""
    tid = task.id
    steps: list[str] = []
    if mode == "plain":
        steps.append(
            f"Claim the task before you change anything: `agentmd claim {tid}` (this prompt "
            f"was printed for reading; `agentmd next --claim` prints it and claims it at once)."
        )
    if retry:
        steps.append(
            'Start with the problems under "Earlier attempts": the work is checked for them again.'
        )
    steps.append(
        "Do the work within the scope above and commit it: the work first, in commits of its "
        "own (`git add` the files you changed, `git commit`)."
    )
    handoff_fill = (
        "Fill every section (Summary, Completed, Remaining, Decisions, Gotchas, Next action, "
        "Artifacts, Verification) with concrete file paths, functions and commands; Artifacts "
        "lists exactly the files you changed. Under Lessons, write what a future session should "
        "learn from this one (a trap, a convention, a decision), or None. When the task is "
        "finished, set `status: done` in its front matter and write `None` under Remaining."
    )
    if mode == "loop":
        if task.verify:
            steps.append(
                "Run the verify commands above from the repository root until they pass on "
                "your committed work (the loop runs them again before it merges)."
            )
        else:
            steps.append("Check your work, and say in the handoff how.")
        steps.append(f"Write the handoff where the section below says. {handoff_fill}")
        steps.append(
            "Check it: `agentmd handoff check`; then commit the handoff on your branch and exit "
            "0. The loop verifies the work, checks the handoff and your scope, merges the "
            "branch and marks the task done."
        )
    else:
        steps.append(
            f"Record the verify commands' pass on the committed work: `agentmd verify {tid}` "
            "(on a clean tree: a pass over uncommitted changes does not count)."
            if task.verify
            else "Check your work, and say in the handoff how."
        )
        steps.append(
            f"Write the handoff: `agentmd handoff new {tid}` creates "
            f"`{AGENTS_DIR}/handoffs/<date>-{tid}.md`. {handoff_fill}"
        )
        steps.append(
            "Check it: `agentmd handoff check`; then commit the handoff and the task file "
            "(`git add .agents && git commit`). Commits of `.agents/` files alone keep the "
            "verify pass."
        )
        steps.append(
            f"Mark the task done: `agentmd done {tid}` (refused, with the reason, until the "
            f'steps above hold). If you cannot finish, `agentmd fail {tid} --reason "..."` '
            "says why for the next attempt."
        )
    lines = ["## When you finish", ""]
    lines += [f"{number}. {step}" for number, step in enumerate(steps, 1)]
    return "\n".join(lines)
