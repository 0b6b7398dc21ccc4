"""`agentmd claim`, `done`, `fail`, `block` and `release`: each changes the task's fields and
logs a line. Each refuses a named task whose file cannot be read, and names the other files it
cannot read on stderr and goes on with the rest."""

from __future__ import annotations

import click

from agentmd.cli.common import open_workspace, report_unreadable
from agentmd.tasks import claims, lease, lifecycle
from agentmd.workspace.folder import Workspace

as_option = click.option(
    "--as", "owner", metavar="NAME", help="Who claims (default: $AGENTMD_AGENT or user@host)."
)


def _open(*task_ids: str) -> Workspace:
    """The workspace, once each named task's file could be read; the other broken files named."""
    ws = open_workspace()
    for task_id in task_ids:
        ws.readable_task(task_id)
    report_unreadable(ws)
    return ws


@click.command()
@click.argument("task_id", metavar="ID")
@as_option
@click.option(
    "--push",
    is_flag=True,
    help="Commit the claim (the task file only) and push it; fails if another clone claimed first.",
)
def claim(task_id: str, owner: str | None, push: bool) -> int:
    """Claim a ready task: status active, claimed_by, claimed_at, lease, base = HEAD."""
    from agentmd.checks import readiness

    ws = _open(task_id)
    who = owner or claims.default_owner()
    if push:
        task = claims.claim_and_push(
            ws,
            who,
            lambda fresh: [claims.claimable(fresh, task_id, readiness.reasons(fresh))],
        )[0]
        click.echo(f"claimed {task.id} as {task.claimed_by} (pushed)")
        return 0
    task = claims.claim(ws, task_id, who, readiness.reasons(ws))
    click.echo(f"claimed {task.id} as {task.claimed_by}")
    return 0


@click.command()
@click.argument("task_id", metavar="ID")
@click.option(
    "--force", is_flag=True, help="Mark it done even if verification or the handoff fails (logged)."
)
def done(task_id: str, force: bool) -> int:
    """Mark a task done: refused unless its verify commands passed at HEAD (agentmd verify)
    and its latest handoff is valid (agentmd handoff check)."""
    ws = _open(task_id)
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
@click.option(
    "--reason", required=True, help="What went wrong, for the next attempt (under ## Attempts)."
)
def fail(task_id: str, reason: str) -> int:
    """Record a failed attempt under ## Attempts; back to todo, or failed after max_attempts."""
    ws = _open(task_id)
    task = lifecycle.fail(ws, task_id, reason)
    click.echo(f"{task.id}: attempt {task.attempts} failed, now {task.status}")
    return 0


@click.command()
@click.argument("task_id", metavar="ID")
@click.option("--reason", default="", help="Why, for the log.")
def reopen(task_id: str, reason: str) -> int:
    """Send a failed or blocked task back to todo: blocked_reason, the claim and the attempt
    count go; the ## Attempts history stays for the next prompt."""
    ws = _open(task_id)
    before = ws.task(task_id)
    lifecycle.reopen(ws, task_id, reason)
    click.echo(f"reopened {task_id} (was {before.status})")
    return 0


@click.command()
@click.argument("task_id", metavar="ID")
@click.option("--reason", required=True, help="What it waits for (kept as blocked_reason).")
def block(task_id: str, reason: str) -> int:
    """Mark a task blocked, with the reason."""
    ws = _open(task_id)
    lifecycle.block(ws, task_id, reason)
    click.echo(f"blocked {task_id}")
    return 0


@click.command()
@click.argument("task_ids", metavar="[ID]...", nargs=-1)
@click.option("--stale", is_flag=True, help="Release every claim whose lease has expired.")
@click.option("--reason", default="", help="Why, for the log.")
def release(task_ids: tuple[str, ...], stale: bool, reason: str) -> int:
    """Free a claim: the task goes back to todo, without claimed_by, claimed_at and lease.

    Counts no attempt. With --stale, every claim whose lease has expired.
    """
    if not task_ids and not stale:
        raise click.UsageError("name a task to release, or use --stale")
    ws = _open(*task_ids)
    ids = list(task_ids)
    if stale:
        ids += [c.task.id for c in lease.stale(ws) if c.task.id not in ids]
        if not ids:
            click.echo("no stale claims")
            return 0
    for task_id in ids:
        before = ws.task(task_id)
        claims.release(
            ws, task_id, reason or ("lease expired" if stale and task_id not in task_ids else "")
        )
        click.echo(
            f"released {task_id}"
            + (f" (was {before.status}, by {before.claimed_by})" if before.claimed_by else "")
        )
    return 0
