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
    found = _kept_before(root)
    if found:
        click.echo("\nFound what this repository kept before agentmd; to take it in:")
        for command, what in found:
            click.echo(f"  {command:<46} # {what}")
    return 0


PLAN_NAMES = frozenset(("PLAN.MD", "TODO.MD", "TASKS.MD", "ROADMAP.MD", "BACKLOG.MD"))  # upper


def _kept_before(root: Path) -> list[tuple[str, str]]:
    """The commands that import the rules and plans a repository already keeps."""
    from agentmd.rules.importer import discover
    from agentmd.rules.tree import Tree

    found = []
    rules = discover(Tree(root))
    if rules:
        shown = ", ".join(rules[:3]) + (f" and {len(rules) - 3} more" if len(rules) > 3 else "")
        found.append(("agentmd rules import", f"{shown} into {AGENTS_DIR}/rules/"))
    for entry in sorted(root.iterdir(), key=lambda e: e.name.lower()):
        if entry.name.upper() in PLAN_NAMES and entry.is_file():
            try:
                text = entry.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            if "- [ ]" in text or "- [x]" in text.lower():
                found.append((f"agentmd import checklist {entry.name}", "its checkbox items"))
    if (root / ".taskmaster/tasks/tasks.json").is_file():
        found.append(("agentmd import taskmaster .taskmaster/tasks/tasks.json", "Task Master"))
    if (root / "backlog/tasks").is_dir():
        found.append(("agentmd import backlog backlog/", "Backlog.md"))
    return found
