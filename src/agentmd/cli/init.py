"""`agentmd init`."""

from __future__ import annotations

from pathlib import Path

import click

from agentmd import AGENTS_DIR, git
from agentmd.workspace import scaffold


@click.command()
@click.option("--example", is_flag=True, help="Also write a small realistic example plan.")
def init(example: bool) -> int:
    """Create .agents/ from the templates; never overwrites a file.

    At the top of the git repository when run inside one, else here.
    """
    root = git.toplevel(Path.cwd()) or Path.cwd()
    foreign = scaffold.foreign_entries(root)
    if foreign:
        click.echo(
            f"{AGENTS_DIR}/ exists and holds files agentmd does not write: "
            + ", ".join(f"{AGENTS_DIR}/{name}" for name in foreign)
            + "; they are left as they are, and agentmd adds its own beside them:"
        )
    added = 0
    for path, created in scaffold.init(root, example):
        added += created
        if not path.endswith(".gitkeep"):
            click.echo(f"{'created' if created else 'kept   '} {path}")
    if foreign:
        click.echo(f"added {added} file(s) and folder(s) to {AGENTS_DIR}/; nothing else changed")
    if example:
        click.echo("\nNext: agentmd next")
    return 0
