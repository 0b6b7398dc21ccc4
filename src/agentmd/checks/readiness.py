"""Which todo tasks `check` calls broken: such a task is never ready, whatever its
dependencies say. `next`, `claim`, `list`, `status` and the loop ask here, so that work is
never handed out that `check` would refuse (outputs outside the repository, a task file with
no front matter, a prompt over its budget)."""

from __future__ import annotations

from agentmd.checks import fields
from agentmd.checks.budgets import prompt_problems
from agentmd.errors import Problem
from agentmd.prompt.tokens import ESTIMATE, Counter
from agentmd.workspace.folder import Workspace

# Findings the graph already reports in its own words ("depends on unknown task ...").
SAID_BY_THE_GRAPH = ("dangling-dependency",)


def task_errors(ws: Workspace, counter: Counter = ESTIMATE) -> dict[str, list[Problem]]:
    """Each todo task's error findings (task id -> findings); tasks without any are left out."""
    found: dict[str, list[Problem]] = {}
    tasks = ws.tasks
    guard = fields.PathGuard(ws.root)
    for task in tasks.values():
        if task.status != "todo" or task.broken:
            continue
        record = task.record
        display = ws.display(record.path)
        if record.body_line == 1 and not record.fields:
            found[task.id] = [
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
            continue
        errors = [
            p
            for p in fields.check_task(
                display, record.fields, record.lines, ws.settings, guard, tasks.__contains__
            )
            if p.severity == "error" and p.code not in SAID_BY_THE_GRAPH
        ]
        if errors:
            found[task.id] = errors
    by_display = {ws.display(task.path): task.id for task in tasks.values()}
    for problem in prompt_problems(ws, counter):
        task_id = by_display.get(problem.path)
        if task_id is not None and task_id not in found:
            found[task_id] = [problem]
    return found


def reasons(ws: Workspace, counter: Counter = ESTIMATE) -> dict[str, list[str]]:
    """Each broken todo task's findings, one line each, as `graph` gives its reasons."""
    return {
        task_id: [f"check: {p.code}: {p.message} ({p.path}:{p.line})" for p in problems]
        for task_id, problems in task_errors(ws, counter).items()
    }
