"""`agentmd decompose "INTENT" | --from FILE`: a model writes the tasks; agentmd checks them."""

from __future__ import annotations

from pathlib import Path

import click

from agentmd.api import decompose as decomposing
from agentmd.cli.common import emit_json, json_option, open_workspace
from agentmd.files import textfile


@click.command()
@click.argument("intent", required=False)
@click.option(
    "--from",
    "source",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="Read the intent from FILE.",
)
@click.option("--dry-run", is_flag=True, help="Print the task files instead of writing them.")
@click.option(
    "--budget",
    type=click.IntRange(min=1),
    metavar="TOKENS",
    help="The prompt budget each task must fit (default: plan.md's).",
)
@json_option
def decompose(
    intent: str | None, source: str | None, dry_run: bool, budget: int | None, as_json: bool
) -> int:
    """Ask the model (plan.md `model:`) to turn an intent into task files.

    The answer is checked like a hand-written plan: ids valid and new, dependencies known, no
    cycles, every task's prompt within the budget, inputs and outputs inside the repository.
    If it fails, the model is asked once more with the problems; if it fails again, nothing
    is written (exit 1). The files are written only when all are valid. Needs ANTHROPIC_API_KEY.
    """
    if (intent is None) == (source is None):
        raise click.UsageError("give the intent as an argument or with --from FILE (one of them)")
    if source is not None:
        intent = textfile.read_text(Path(source), source)
    ws = open_workspace()
    proposed = decomposing.decompose(ws, intent or "", budget=budget)
    if not dry_run:
        decomposing.write(ws, proposed)
    if as_json:
        emit_json(
            {
                "written": not dry_run,
                "tasks": [
                    {**p.task.summary(), "prompt_tokens": p.tokens, "text": p.text}
                    for p in proposed
                ],
            }
        )
        return 0
    for p in proposed:
        if dry_run:
            click.echo(f"==> {p.path} <==")
            click.echo(p.text)
        else:
            click.echo(f"wrote {p.path} (prompt ~{p.tokens:,} tokens)")
    if dry_run:
        click.echo(f"{len(proposed)} tasks valid; nothing written (--dry-run)", err=True)
    return 0
