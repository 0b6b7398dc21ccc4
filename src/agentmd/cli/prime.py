"""`agentmd prime`: the start-of-session context, for a host to inject or a person to read."""

from __future__ import annotations

import click

from agentmd.cli.common import json_option, open_workspace


@click.command("prime")
@click.option(
    "--as", "owner", metavar="NAME", help="Whose claim (default: $AGENTMD_AGENT or user@host)."
)
@click.option(
    "--max-chars",
    type=click.IntRange(min=200),
    metavar="N",
    help="Fit in N characters too (a host that cuts what it injects): parts are left out "
    "whole and named, never cut.",
)
@json_option
def prime(owner: str | None, max_chars: int | None, as_json: bool) -> int:
    """Print what a session starts with.

    A session that holds a task (named by $AGENTMD_TASK, by the worktree branch it runs on, or
    claimed by its owner) gets the task's prompt as `next` compiles it, and its latest handoff
    when it is resuming; within prompt_budget. Any other session gets an orientation within
    prime_budget (plan.md, default 2,000 tokens). What does not fit is named at the end.
    """
    from agentmd.hosts.prime import remembered

    click.echo(remembered(open_workspace(), owner, max_chars, as_json), nl=False)
    return 0
