"""Which todo tasks `check` calls broken: such a task is never ready, whatever its
dependencies say. `next`, `claim`, `list`, `status` and the loop ask here, so that work is
never handed out that `check` would refuse (outputs outside the repository, a task file with
no front matter, a prompt over its budget)."""

from __future__ import annotations

from agentmd.checks import fields
from agentmd.checks.budgets import PromptFit
from agentmd.errors import Problem
from agentmd.prompt.tokens import ESTIMATE, Counter
from agentmd.tasks import graph
from agentmd.workspace.folder import Workspace
from agentmd.workspace.records import Task

# Findings the graph already reports in its own words ("depends on unknown task ...").
SAID_BY_THE_GRAPH = ("dangling-dependency",)


class Readiness:
    """The error findings of todo tasks, worked out one task at a time and kept: `next` asks
    only about the tasks it would hand out, `list` and `status` about all. Reuses the findings
    a `check` in the same process (the loop's) already has for unchanged task files."""

    def __init__(self, ws: Workspace, counter: Counter = ESTIMATE):
        self.ws = ws
        self.counter = counter
        self.guard = fields.PathGuard(ws.root)
        self.context = (ws.settings, tuple(ws.tasks))  # as tasks_pass keys them
        self.fits: PromptFit | None = None
        self.found: dict[str, list[Problem]] = {}
        self.moved: tuple[set[str], set[str]] | None = None  # KeptFindings.moved

    def errors(self, task: Task) -> list[Problem]:
        if task.id in self.found:
            return self.found[task.id]
        found: list[Problem] = []
        if task.status == "todo" and not task.broken:
            found = self._fields(task)
            if not found and not graph.blockers(task, self.ws.tasks):
                self.fits = self.fits or PromptFit(self.ws, self.counter)
                found = self.fits.problems(task)
        self.found[task.id] = found
        return found

    def _fields(self, task: Task) -> list[Problem]:
        record = task.record
        display = self.ws.display(record.path)
        if record.body_line == 1 and not record.fields:
            return [
                Problem(
                    display,
                    1,
                    1,
                    "task-no-frontmatter",
                    "task file has no front matter",
                    "start it with '---', 'title: ...', 'status: todo', '---' (agentmd add "
                    "writes one)",
                )
            ]
        kept = self.ws.task_findings
        findings = None
        if kept is not None:
            if self.moved is None:  # asked once, of the first task that reuses a finding
                self.moved = kept.moved(self.guard)
            findings = kept.get(self.context, record, self.moved)
        if findings is None:
            findings = fields.check_task(
                display, record.fields, record.lines, self.ws.settings, self.guard,
                self.ws.tasks.__contains__,
            )  # fmt: skip
        return [p for p in findings if p.severity == "error" and p.code not in SAID_BY_THE_GRAPH]

    def get(self, task_id: str, default=()) -> list[str]:
        """The task's findings as reasons (what `graph.blockers` reads from `errors`)."""
        task = self.ws.tasks.get(task_id)
        if task is None:
            return list(default)
        return [f"check: {p.code}: {p.message} ({p.path}:{p.line})" for p in self.errors(task)]


def task_errors(ws: Workspace, counter: Counter = ESTIMATE) -> dict[str, list[Problem]]:
    """Each todo task's error findings (task id -> findings); tasks without any are left out."""
    ready = Readiness(ws, counter)
    found = {}
    for task in ws.tasks.values():
        errors = ready.errors(task)
        if errors:
            found[task.id] = errors
    return found


def reasons(ws: Workspace, counter: Counter = ESTIMATE) -> Readiness:
    """Each broken todo task's findings, one line each, as `graph` gives its reasons: a
    mapping from task id, worked out only for the tasks asked about."""
    return Readiness(ws, counter)
