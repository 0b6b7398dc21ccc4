"""`agentmd init`."""

from __future__ import annotations

from pathlib import Path

import click

from agentmd import git
from agentmd.workspace import scaffold


@click.command()
@click.option("--example", is_flag=True, help="Also write a small realistic example plan.")
def init(example: bool) -> int:
    """Create .agents/ from the templates; never overwrites a file.

    At the top of the git repository when run inside one, else here.
    """
    root = git.toplevel(Path.cwd()) or Path.cwd()
    for path, created in scaffold.init(root, example):
        if not path.endswith(".gitkeep"):
            click.echo(f"{'created' if created else 'kept   '} {path}")
    if example:
        click.echo("\nNext: agentmd next")
    return 0
