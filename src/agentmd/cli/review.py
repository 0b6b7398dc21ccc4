"""`agentmd review ID`: a model reviews the task's change; findings are written and printed."""

from __future__ import annotations

import click

from agentmd.api import review as reviewing
from agentmd.cli.common import emit_json, json_option, open_workspace
from agentmd.errors import EXIT_FINDINGS


@click.command()
@click.argument("task_id", metavar="ID")
@click.option(
    "--base", metavar="REV", help="Diff from this commit (default: the task's base field)."
)
@click.option("--head", metavar="REV", help="Diff up to this commit (default: HEAD).")
@click.option(
    "--budget",
    type=click.IntRange(min=1),
    metavar="TOKENS",
    help="Token budget of the request (default: plan.md's prompt budget).",
)
@click.option(
    "--file-tasks", is_flag=True, help="Turn each blocking finding into a follow-up task."
)
@json_option
def review(
    task_id: str,
    base: str | None,
    head: str | None,
    budget: int | None,
    file_tasks: bool,
    as_json: bool,
) -> int:
    """Ask the model (plan.md `model:`) to review a task's change.

    Sends the task, its latest handoff and the diff base..HEAD (budgeted: the largest hunks
    summarised, then left out, and listed) and writes the findings to
    .agents/reviews/<date>-<id>.md. Needs ANTHROPIC_API_KEY. Exit 0 when nothing blocks,
    1 when a finding blocks (or there is no change to review), 2 when the review cannot be done.
    """
    ws = open_workspace()
    task = ws.readable_task(task_id)
    result = reviewing.review(ws, task, base=base, head=head, budget=budget)
    new_tasks = reviewing.file_tasks(ws, result) if file_tasks else []
    if as_json:
        emit_json({"review": result.as_json(), "tasks": new_tasks})
    else:
        for finding in result.findings:
            click.echo(finding.problem().render())
        counts = ", ".join(
            f"{sum(1 for f in result.findings if f.severity == s)} {s}"
            for s in reviewing.SEVERITIES
        )
        verdict = "changes requested" if result.blocking else "pass"
        click.echo(f"review of {task.id}: {verdict} ({counts}) -> {ws.display(result.path)}")
        for new_id in new_tasks:
            click.echo(f"added task {new_id}")
    return EXIT_FINDINGS if result.blocking else 0
