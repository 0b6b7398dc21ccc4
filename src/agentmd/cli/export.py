"""`agentmd export checklist`: the plan as one Markdown page."""

from __future__ import annotations

from pathlib import Path

import click

from agentmd.cli.common import open_workspace


@click.group()
def export() -> None:
    """Write the plan out for people."""


@export.command("checklist")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["markdown", "github"]),
    default="markdown",
    show_default=True,
    help="github: for a pull request or issue comment (no title, a count line first).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Write FILE (atomically) instead of printing.",
)
def checklist(fmt, output) -> int:
    """The plan as checkboxes: Completed, In Progress, Pending (ready first, then blocked).

    The same files give the same page, byte for byte. Name the page in plan.md
    (`checklist: PLAN.md`) and `agentmd check` warns when the committed copy is stale.
    """
    from agentmd.export import checklist as page

    ws = open_workspace()
    text = page.render(ws, fmt)
    if output is None:
        click.echo(text, nl=False)
        return 0
    page.write(ws, output, text)
    click.echo(f"wrote {output}")
    named = ws.settings.raw.get(page.SETTING)
    if fmt == "markdown" and not named:
        click.echo(
            f"  hint: add 'checklist: {output}' to .agents/plan.md and `agentmd check` "
            "warns when this page falls behind the plan",
            err=True,
        )
    return 0
