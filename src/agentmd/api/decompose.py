"""Turning an intent into task files with a model: the answer is checked as strictly as a
hand-written plan (ids, dependencies, cycles, prompt budget, scope) before anything is written."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from agentmd import AGENTS_DIR, clock, git
from agentmd.api.client import Client
from agentmd.errors import AgentmdError, LocatedError
from agentmd.files import document, frontmatter, globs
from agentmd.prompt import compiler
from agentmd.prompt.tokens import ESTIMATE
from agentmd.tasks import graph, lifecycle
from agentmd.workspace import scaffold
from agentmd.workspace.folder import Workspace, check_id
from agentmd.workspace.records import PRIORITIES, Record, Task

TOOL_NAME = "write_tasks"
MAX_TOKENS = 16_000  # below the SDK's limit for a request that does not stream
FILE_LIST_SHARE = 3  # the repository's file list may take a third of the request's budget

INSTRUCTIONS = """\
You are planning work for coding agents. Each task you write is handed to a fresh agent session
that sees only that task, the files it names and the project's rules, so every task must be
self-contained, small enough to finish in one session, and checkable.

Decompose the intent you are given into tasks and report them through the write_tasks tool:
- id: short, lowercase, words joined by '-' (it becomes the file name tasks/<id>.md); it must
  not be one of the existing task ids;
- verify: the shell commands, run from the repository root, that pass when the task is done;
  write them first, and make every task have at least one;
- outputs: the files (or globs) the task may change, inside the repository, at least one;
  inputs: the files it should read for context; use the repository's file list below;
- depends_on: ids of tasks (yours or existing ones) that must be done first; no cycles;
- goal and acceptance criteria: concrete and checkable.
Prefer several small tasks over one large one. Each task's prompt must fit in {budget:,} tokens."""

TASK_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "title": {"type": "string"},
        "priority": {"type": "string", "enum": list(PRIORITIES)},
        "depends_on": {"type": "array", "items": {"type": "string"}},
        "inputs": {"type": "array", "items": {"type": "string"}},
        "outputs": {"type": "array", "items": {"type": "string"}},
        "verify": {"type": "array", "items": {"type": "string"}},
        "goal": {"type": "string"},
        "acceptance": {"type": "array", "items": {"type": "string"}},
        "notes": {"type": "string"},
    },
    "required": [
        "id",
        "title",
        "priority",
        "depends_on",
        "inputs",
        "outputs",
        "verify",
        "goal",
        "acceptance",
    ],
}
TOOL = {
    "name": TOOL_NAME,
    "description": "Write the tasks the intent decomposes into.",
    "input_schema": {
        "type": "object",
        "properties": {"tasks": {"type": "array", "items": TASK_SCHEMA}},
        "required": ["tasks"],
    },
}
LISTS = ("depends_on", "inputs", "outputs", "verify", "acceptance")


@dataclass(frozen=True)
class Proposed:
    task: Task
    text: str  # the file, as it will be written
    tokens: int  # its compiled prompt

    @property
    def path(self) -> str:
        return f"{AGENTS_DIR}/{self.task.path}"


class InvalidPlan(AgentmdError):
    exit_code = 1


def decompose(
    ws: Workspace, intent: str, *, budget: int | None = None, client: Client | None = None
) -> list[Proposed]:
    """Ask for tasks and check them; ask once more with the problems; raise if still invalid."""
    if not intent.strip():
        raise AgentmdError("the intent is empty", "say what should be built, or pass --from FILE")
    client = client or Client.for_workspace(ws)
    budget = budget or ws.settings.prompt_budget
    proposed: list[Proposed] = []

    def check(data: dict) -> list[str]:
        nonlocal proposed
        proposed, problems = validate(ws, data, budget)
        return problems

    _, problems = client.ask(
        system=_context(ws, budget),
        prompt=f"Decompose this intent into tasks:\n\n{intent.strip()}",
        tool=TOOL,
        validate=check,
        max_tokens=MAX_TOKENS,
    )
    if problems:
        raise InvalidPlan(
            "the model's tasks are not valid, even when asked again; nothing was written:\n"
            + "\n".join(f"  - {p}" for p in problems),
            "run agentmd decompose again, with a narrower "
            "intent, or try another `model:` in .agents/plan.md",
        )
    return proposed


# -- checking the answer ---------------------------------------------------------------------


def validate(ws: Workspace, data: dict, budget: int) -> tuple[list[Proposed], list[str]]:
    items = data.get("tasks")
    if not isinstance(items, list) or not items:
        return [], ["tasks must be a non-empty list of tasks"]
    problems: list[str] = []
    ids = {
        item["id"] for item in items if isinstance(item, dict) and isinstance(item.get("id"), str)
    }
    built: dict[str, tuple[Task, str]] = {}
    seen: set[str] = set()
    for n, item in enumerate(items, 1):
        if not isinstance(item, dict):
            problems.append(f"task {n} must be an object")
            continue
        found = _check_item(ws, item, f"task {n}", ids, seen)
        problems += found
        if not found:
            built[item["id"]] = _build(ws, item)
    tasks = {task_id: task for task_id, (task, _) in built.items()}
    # Cycles among every answer whose id and dependencies can be read, even one with other problems.
    edges = {
        item["id"]: Task.from_record(
            Record(f"tasks/{item['id']}.md", {"depends_on": item["depends_on"]}, {}, 1)
        )
        for item in items
        if isinstance(item, dict) and item.get("id") in ids and _strings(item.get("depends_on"))
    }
    for cycle in graph.find_cycles({**ws.tasks, **edges}):
        if any(member in edges for member in cycle):
            problems.append("dependency cycle: " + " -> ".join([*cycle, cycle[0]]))
    proposed = []
    if not problems:
        view = _Proposed(ws, {task.path: text for task, text in built.values()}, tasks)
        for task, text in built.values():
            try:
                compiled = compiler.compile_prompt(view, task, budget)
            except compiler.TooLarge as exc:
                problems.append(f"task '{task.id}': {exc.message.split(': ', 1)[-1]}; split it")
                continue
            proposed.append(Proposed(task, text, compiled.tokens))
    return proposed, problems


def _check_item(ws: Workspace, item: dict, where: str, ids: set[str], seen: set[str]) -> list[str]:
    problems = []
    task_id = item.get("id")
    if not isinstance(task_id, str):
        return [f"{where}: id must be a string"]
    where = f"task '{task_id}'"
    try:
        check_id(task_id)
    except AgentmdError as exc:
        problems.append(f"{where}: {exc.message}")
    if task_id in seen:
        problems.append(f"{where}: the id is used twice")
    seen.add(task_id)
    if task_id in ws.tasks:
        problems.append(f"{where}: a task with this id exists already in {AGENTS_DIR}/tasks/")
    for key in ("title", "goal"):
        if not isinstance(item.get(key), str) or not item[key].strip():
            problems.append(f"{where}: {key} must be a non-empty string")
    if item.get("priority") not in PRIORITIES:
        problems.append(
            f"{where}: priority must be one of "
            f"{', '.join(PRIORITIES)}, not {item.get('priority')!r}"
        )
    if not isinstance(item.get("notes", ""), str):
        problems.append(f"{where}: notes must be a string")
    for key in LISTS:
        value = item.get(key)
        if not _strings(value):
            problems.append(f"{where}: {key} must be a list of non-empty strings")
            continue
        if key in ("verify", "outputs", "acceptance") and not value:
            problems.append(f"{where}: {key} must name at least one")
    if problems:
        return problems
    for dep in item["depends_on"]:
        if dep not in ids and dep not in ws.tasks:
            problems.append(
                f"{where}: depends on '{dep}', which is neither in the answer nor in the plan"
            )
    for key in ("inputs", "outputs"):
        for path in item[key]:
            if globs.escapes_repo(path):
                problems.append(f"{where}: {key[:-1]} '{path}' is outside the repository")
    return problems


def _strings(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value)


def _build(ws: Workspace, item: dict) -> tuple[Task, str]:
    values = {
        "title": item["title"].strip(),
        "priority": item["priority"],
        "depends_on": item["depends_on"],
        "inputs": item["inputs"],
        "outputs": item["outputs"],
        "verify": item["verify"],
        "created": clock.today(),
    }
    text = scaffold.render_task(ws.agents, values)
    fm = frontmatter.split(text, "task template")
    head = text[: fm.body_start] if fm else text + "\n"
    criteria = "\n".join(f"- [ ] {line.strip()}" for line in item["acceptance"])
    notes = (item.get("notes") or "").strip() or "Written by `agentmd decompose`."
    text = (
        f"{head}## Goal\n\n{item['goal'].strip()}\n\n"
        f"## Acceptance criteria\n\n{criteria}\n\n## Notes\n\n{notes}\n"
    )
    rel = f"tasks/{item['id']}.md"
    try:
        doc = document.parse(text, ws.display(rel))
    except LocatedError as exc:  # the template was overridden with something that does not parse
        raise AgentmdError(exc.message) from None
    record = Record(rel, doc.fields, doc.key_lines, doc.body_line)
    return Task.from_record(record), text


class _Proposed(Workspace):
    """The workspace as it would be with the proposed tasks written: nothing touches the disk."""

    def __init__(self, ws: Workspace, texts: dict[str, str], tasks: dict[str, Task]):
        super().__init__(ws.root)
        for name in ("index", "settings", "handoffs", "decisions", "gotchas", "rules"):
            self.__dict__[name] = getattr(ws, name)
        self.__dict__["tasks"] = {**ws.tasks, **tasks}
        self._texts = texts

    def read(self, rel: str) -> document.Document:
        if rel in self._texts:
            return document.parse(self._texts[rel], self.display(rel))
        return super().read(rel)


# -- the context -----------------------------------------------------------------------------


def _context(ws: Workspace, budget: int) -> list[str]:
    plan = ""
    if (ws.agents / "plan.md").is_file():
        plan = "## The project (plan.md)\n\n" + ws.read("plan.md").body.strip()
    rules = []
    for rule in ws.rules:
        if rule.always:
            rules.append(f"### {rule.title}\n\n{ws.read(rule.path).body.strip()}")
    rules_text = "## Rules every task follows\n\n" + "\n\n".join(rules) if rules else ""
    listing, note = file_list(_tracked(ws.root), budget // FILE_LIST_SHARE)
    files = f"## The repository's files\n\n{listing}" + (f"\n\n({note})" if note else "")
    existing = [
        f"- {t.id} ({t.status}): {t.title}" for t in sorted(ws.tasks.values(), key=lambda t: t.id)
    ]
    tasks = "## Existing tasks (ids you may depend on, and may not reuse)\n\n" + (
        "\n".join(existing) or "None."
    )
    return [INSTRUCTIONS.format(budget=budget), plan, rules_text, files, tasks]


def _tracked(root: Path) -> list[str]:
    paths = git.split_z(git.out(["ls-files", "-z"], root))
    return sorted(p for p in paths if not p.startswith(f"{AGENTS_DIR}/"))


def file_list(paths: list[str], budget: int) -> tuple[str, str]:
    """The paths, one a line, within `budget` tokens: deep folders folded into counts first,
    then the list cut; the second value says what was folded or cut."""
    text = "\n".join(paths)
    if ESTIMATE.count(text) <= budget:
        return text, ""
    deepest = max((p.count("/") for p in paths), default=0)
    for levels in range(deepest - 1, -1, -1):
        text = "\n".join(_fold(paths, levels))
        if ESTIMATE.count(text) <= budget:
            return (
                text,
                f"{len(paths):,} files; folders below {levels + 1} level(s) are shown as counts",
            )
    lines = _fold(paths, 0)
    kept: list[str] = []
    used = 0
    for line in lines:
        used += ESTIMATE.count(line + "\n")
        if used > budget:
            break
        kept.append(line)
    return "\n".join(kept), f"{len(lines) - len(kept):,} more entries left out to fit the budget"


def _fold(paths: list[str], levels: int) -> list[str]:
    counts: dict[str, int] = {}
    for path in paths:
        parts = path.split("/")
        key = "/".join(parts[: levels + 1]) + "/" if len(parts) - 1 > levels else path
        counts[key] = counts.get(key, 0) + 1
    return [f"{key} ({n} files)" if key.endswith("/") else key for key, n in counts.items()]


# -- writing ---------------------------------------------------------------------------------


def _given_text(text: str, values: dict) -> str:
    return text


def write(ws: Workspace, proposed: list[Proposed]) -> list[str]:
    """Write every task file or none: a name taken meanwhile undoes the ones written."""
    taken = [p.path for p in proposed if (ws.root / p.path).exists()]
    if taken:
        raise AgentmdError(
            f"{', '.join(taken)} exist(s) already; nothing was written", "run decompose again"
        )
    written: list[Path] = []
    try:
        for p in proposed:
            lifecycle.add_task(
                ws,
                p.task.title,
                task_id=p.task.id,
                priority=p.task.priority,
                depends_on=p.task.depends_on,
                render=functools.partial(_given_text, p.text),
            )
            written.append(ws.root / p.path)
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return [p.task.id for p in proposed]
