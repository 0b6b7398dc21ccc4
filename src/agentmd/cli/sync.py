"""`agentmd sync github`: status back to the GitHub issues the tasks came from, through `gh`."""

from __future__ import annotations

import click

from agentmd.cli.common import open_workspace


@click.group()
def sync() -> None:
    """Report the plan's status back to where its intents came from."""


@sync.command("github")
@click.option("--dry-run", is_flag=True, help="Print the gh calls that would change GitHub.")
def github(dry_run) -> int:
    """Comment on each issue the tasks came from (source: github#N): the plan once, each done
    task's handoff summary, and close the issue when all its tasks are done (never when one
    failed). Every comment carries a marker: a second sync posts nothing new. Needs `gh`,
    logged in; exit 2 when it is missing, not logged in, rate-limited or fails.
    """
    from agentmd.github.sync import sync as run_sync

    ws = open_workspace()
    made = run_sync(ws, dry_run=dry_run, echo=click.echo)
    if not made:
        click.echo("nothing new to report")
    return 0
