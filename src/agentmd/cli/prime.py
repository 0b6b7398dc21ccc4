"""`agentmd prime`: the start-of-session context, for a host to inject or a person to read."""

from __future__ import annotations

import os

import click

from agentmd.cli.common import json_option, json_text, open_workspace
from agentmd.workspace import memo


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
    from agentmd.hosts.session import current_branch

    ws = open_workspace()
    key = memo.key(
        "prime", owner, max_chars, as_json, os.environ.get("AGENTMD_TASK", ""),
        os.environ.get("AGENTMD_AGENT", ""), current_branch(ws.root),
    )  # fmt: skip
    if (hit := memo.recall(ws, key)) is not None:
        click.echo(hit[0], nl=False)
        return 0
    output = render(ws, owner, max_chars, as_json)
    memo.remember(ws, key, output, "")
    click.echo(output, nl=False)
    return 0


def render(ws, owner: str | None, max_chars: int | None, as_json: bool) -> str:
    from agentmd.hosts.prime import prime as build

    primed = build(ws, owner, max_chars=max_chars)
    return json_text(primed.as_json()) if as_json else primed.text
