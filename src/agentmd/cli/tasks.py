"""`agentmd add`, `agentmd list`, `agentmd show`."""

from __future__ import annotations

import click

from agentmd.cli.common import (
    emit_json,
    json_option,
    json_text,
    open_workspace,
    report_unreadable,
    unreadable_text,
)
from agentmd.handoffs.names import order_key
from agentmd.tasks import graph, lifecycle
from agentmd.workspace import memo, scaffold
from agentmd.workspace.records import PRIORITIES


@click.command()
@click.argument("title")
@click.option("--id", "task_id", help="The task id (file stem); default: from the title.")
@click.option(
    "--priority",
    type=click.Choice(PRIORITIES),
    default="medium",
    show_default=True,
    help="Which ready task `next` takes first.",
)
@click.option("--depends-on", multiple=True, metavar="ID", help="A task this one waits for.")
@click.option("--input", "inputs", multiple=True, metavar="PATH", help="A file or glob to read.")
@click.option(
    "--output", "outputs", multiple=True, metavar="PATH", help="A file or glob it may change."
)
@click.option("--verify", multiple=True, metavar="CMD", help="A command that must pass.")
@click.option("--goal", metavar="TEXT", help="What must be true when it is done (## Goal).")
@click.option(
    "--criteria",
    multiple=True,
    metavar="TEXT",
    help="An acceptance criterion, a checkbox under ## Acceptance criteria (repeatable).",
)
def add(title, task_id, priority, depends_on, inputs, outputs, verify, goal, criteria) -> int:
    """Write .agents/tasks/<id>.md and print the id. Without --goal and --criteria the task
    holds the template's prompts: fill them before it is handed out."""
    ws = open_workspace()
    new_id = lifecycle.add_task(
        ws,
        title,
        task_id=task_id,
        priority=priority,
        depends_on=depends_on,
        inputs=inputs,
        outputs=outputs,
        verify=verify,
        render=lambda values: scaffold.fill_task(
            scaffold.render_task(ws.agents, values), goal or "", criteria
        ),
    )
    click.echo(new_id)
    for dep in depends_on:
        if dep not in ws.tasks:
            click.echo(
                f"agentmd: warning: '{new_id}' depends on '{dep}', which "
                "is not a task (yet): it stays blocked until there is one",
                err=True,
            )
    return 0


@click.command("list")
@click.option(
    "--status",
    "statuses",
    multiple=True,
    metavar="STATUS",
    help="Only tasks with this status, e.g. todo or review (repeatable).",
)
@click.option("--ready", is_flag=True, help="Only ready tasks, in the order `next` takes them.")
@json_option
def list_tasks(statuses, ready, as_json) -> int:
    """List the tasks."""
    ws = open_workspace()
    memo_key = memo.list_key(statuses, ready, as_json)
    hit = memo.recall(ws, memo_key)
    if hit is not None:
        click.echo(hit[1], nl=False, err=True)
        click.echo(hit[0], nl=False)
        return 0
    problems = report_unreadable(ws, full=True)
    output = _list_output(ws, statuses, ready, as_json)
    memo.remember(ws, memo_key, output, unreadable_text(problems, full=True))
    click.echo(output, nl=False)
    return 0


def _list_output(ws, statuses, ready: bool, as_json: bool) -> str:
    from agentmd.checks import readiness

    errors = readiness.task_errors(ws)
    unreadable = {problem.path: problem for problem in ws.problems}
    for t in ws.tasks.values():  # a file that cannot be read is never ready: say why
        found = unreadable.get(ws.display(t.path)) if t.broken else None
        if found is not None:
            errors.setdefault(t.id, [found])
    plan = graph.analyse(ws.tasks, readiness.reasons(ws))
    ready_ids = [c.task.id for c in plan.ready]
    if ready:
        tasks = [ws.tasks[tid] for tid in ready_ids]
    else:
        tasks = sorted(ws.tasks.values(), key=lambda t: t.id)
    wanted = {s.lower() for s in statuses}
    if wanted:
        tasks = [t for t in tasks if t.status in wanted]
    ready_set = set(ready_ids)
    if as_json:
        rows = []
        for t in tasks:
            row = {**t.summary(), "ready": t.id in ready_set}
            if t.id in errors:
                row["errors"] = [p.render() for p in errors[t.id]]
            rows.append(row)
        return json_text({"tasks": rows})
    width = max((len(t.id) for t in tasks), default=0)
    known = ws.settings.statuses
    marks = ["ready" if t.id in ready_set else t.status for t in tasks]
    mark_width = max([7, *map(len, marks)])  # (blocked, the longest of the default statuses)
    lines = []
    for t, mark in zip(tasks, marks, strict=True):
        broken = f"  (not ready: {errors[t.id][0].code})" if t.id in errors else ""
        if t.status not in known:
            broken = "  (never ready: the status is none of plan.md's statuses)"
        lines.append(
            f"{t.id:<{width}}  {mark:<{mark_width}}  {t.priority:<6}  {t.title}{broken}\n"
        )
    return "".join(lines)


@click.command()
@click.argument("task_id", metavar="ID")
@json_option
def show(task_id, as_json) -> int:
    """Show one task: its fields, why it is or is not ready, and its file."""
    ws = open_workspace()
    task = ws.readable_task(task_id)
    from agentmd.checks import readiness

    reasons = graph.blockers(task, ws.tasks, readiness.reasons(ws)) if task.status == "todo" else []
    doc = ws.read(task.path)
    handoffs = sorted((h.path for h in ws.handoffs if h.task == task.id), key=order_key)
    if as_json:
        emit_json(
            {
                "task": {
                    **task.summary(),
                    "ready": task.status == "todo" and not reasons,
                    "blockers": reasons,
                    "handoffs": [ws.display(p) for p in handoffs],
                    "sections": [{"title": s.title, "line": s.line} for s in doc.sections],
                    "body": doc.body,
                }
            }
        )
        return 0
    click.echo(f"{task.id}: {task.title}")
    click.echo(
        f"  status:   {task.status}" + (" (ready)" if task.status == "todo" and not reasons else "")
    )
    click.echo(f"  priority: {task.priority}")
    for label, values in (
        ("depends", task.depends_on),
        ("inputs", task.inputs),
        ("outputs", task.outputs),
        ("verify", task.verify),
    ):
        if values:
            click.echo(f"  {label + ':':<9} " + ", ".join(values))
    if task.claimed_by:
        click.echo(
            f"  claimed:  by {task.claimed_by} at {task.claimed_at}"
            + (f", base {task.base[:12]}" if task.base else "")
        )
    for reason in reasons:
        click.echo(f"  blocked:  {reason}")
    for path in handoffs:
        click.echo(f"  handoff:  {ws.display(path)}")
    click.echo(f"  file:     {ws.display(task.path)}")
    click.echo("")
    click.echo(doc.body.strip())
    return 0
