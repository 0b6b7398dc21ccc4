"""`agentmd claim`, `done`, `fail` and `block`: each changes the task's fields and logs a line."""

from __future__ import annotations

import click

from agentmd import lifecycle
from agentmd.cli.common import open_workspace

as_option = click.option("--as", "owner", metavar="NAME", help="Who claims (default: $AGENTMD_AGENT or user@host).")
reason_option = click.option("--reason", required=True, help="What happened, for the next attempt.")


@click.command()
@click.argument("task_id", metavar="ID")
@as_option
def claim(task_id: str, owner: str | None) -> int:
    """Claim a ready task: status active, claimed_by, claimed_at, base = HEAD."""
    ws = open_workspace()
    task = lifecycle.claim(ws, task_id, owner or lifecycle.default_owner())
    click.echo(f"claimed {task.id} as {task.claimed_by}")
    return 0


@click.command()
@click.argument("task_id", metavar="ID")
@click.option("--force", is_flag=True, help="Mark it done even if verification or the handoff fails (logged).")
def done(task_id: str, force: bool) -> int:
    """Mark a task done: refused unless its verify commands passed at HEAD (agentmd verify)
    and its latest handoff is valid (agentmd handoff check)."""
    ws = open_workspace()
    try:
        task = ws.task(task_id)
        problems = lifecycle.done_problems(ws, task) if force else []
        lifecycle.done(ws, task_id, force=force)
    except lifecycle.DoneRefused as exc:
        for problem in exc.problems:
            click.echo(problem.render(), err=True)
        raise
    for problem in problems:
        click.echo(f"forced past: {problem.render()}", err=True)
    click.echo(f"done {task_id}" + (" (forced; logged in memory/log.md)" if problems else ""))
    return 0


@click.command()
@click.argument("task_id", metavar="ID")
@reason_option
def fail(task_id: str, reason: str) -> int:
    """Record a failed attempt under ## Attempts; back to todo, or failed after max_attempts."""
    ws = open_workspace()
    task = lifecycle.fail(ws, task_id, reason)
    click.echo(f"{task.id}: attempt {task.attempts} failed, now {task.status}")
    return 0


@click.command()
@click.argument("task_id", metavar="ID")
@reason_option
def block(task_id: str, reason: str) -> int:
    """Mark a task blocked, with the reason."""
    ws = open_workspace()
    lifecycle.block(ws, task_id, reason)
    click.echo(f"blocked {task_id}")
    return 0
