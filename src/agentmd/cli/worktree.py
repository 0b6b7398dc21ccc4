"""`agentmd worktree ID` and `agentmd worktree prune`."""

from __future__ import annotations

import os

import click

from agentmd import worktrees
from agentmd.cli.common import emit_json, json_option, open_workspace
from agentmd.errors import AgentmdError


class _IdOrCommand(click.Group):
    """`agentmd worktree ID` is short for `agentmd worktree create ID`."""

    def resolve_command(self, ctx: click.Context, args: list[str]):
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["create", *args]
        return super().resolve_command(ctx, args)


@click.group(cls=_IdOrCommand)
def worktree() -> None:
    """A git worktree and branch per claimed task.

    \b
    agentmd worktree ID       create (or show) the task's worktree; prints its path
    agentmd worktree prune    remove those whose task is done, released or failed

    Paths and branches come from plan.md: worktrees (default .agents/.cache/worktrees/{id})
    and branch (default agentmd/{id}).
    """


@worktree.command()
@click.argument("task_id", metavar="ID")
def create(task_id: str) -> int:
    """Create the worktree of a claimed task on its branch, from the task's base commit."""
    ws = open_workspace()
    task = ws.readable_task(task_id)
    if task.status not in ("active", "review"):
        raise AgentmdError(
            f"task '{task_id}' is {task.status}: a worktree is for a claimed task",
            f"agentmd claim {task_id} first",
        )
    tree, created = worktrees.create(ws, task)
    where = os.path.relpath(tree.path, os.getcwd())
    click.echo(f"{'created' if created else 'exists '} {where} on branch {tree.branch}", err=True)
    click.echo(tree.path)
    return 0


@worktree.command()
@click.option("--force", is_flag=True, help="Also remove worktrees with uncommitted changes.")
@click.option("--dry-run", is_flag=True, help="Say what would be removed; remove nothing.")
@json_option
def prune(force: bool, dry_run: bool, as_json: bool) -> int:
    """Remove the worktrees whose task is done, released (back to todo) or failed.

    A branch is deleted too when it is merged; an unmerged one is kept and named, and a failed
    task's branch is always kept (its attempts are there to read). A worktree
    with uncommitted changes is kept unless --force. Exit 1 when one was kept.
    """
    ws = open_workspace()
    results = worktrees.prune(ws, force=force, dry_run=dry_run)
    if as_json:
        emit_json(
            {
                "worktrees": [
                    {
                        "task": r.tree.task_id,
                        "path": str(r.tree.path),
                        "branch": r.tree.branch,
                        "status": r.status,
                        "removed": r.refused is None and not dry_run,
                        "refused": r.refused,
                        "branch_deleted": r.branch_deleted,
                    }
                    for r in results
                ]
            }
        )
    else:
        if not results:
            click.echo("no worktrees to prune")
        for r in results:
            where = os.path.relpath(r.tree.path, ws.root)
            if dry_run:
                click.echo(f"would remove {where} ({r.tree.task_id} is {r.status})")
            elif r.refused:
                click.echo(f"kept    {where}: {r.refused} (--force removes it)")
            else:
                why = (
                    f"it holds the last failed attempt (each earlier one: "
                    f"{worktrees.ATTEMPTS}/{r.tree.task_id}/N)"
                    if r.status == "failed"
                    else "not merged"
                )
                kept = "" if r.branch_deleted else f"; branch {r.tree.branch} kept: {why}"
                click.echo(f"removed {where} ({r.tree.task_id} is {r.status}){kept}")
    return 1 if any(r.refused for r in results) else 0
