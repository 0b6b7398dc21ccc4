"""`agentmd hooks install` and `agentmd hooks uninstall`."""

from __future__ import annotations

from pathlib import Path

import click

from agentmd import git
from agentmd.errors import AgentmdError

HOOK_CHOICE = click.Choice(["pre-commit", "commit-msg"])


def _root() -> Path:
    root = git.toplevel(Path.cwd())
    if root is None:
        raise AgentmdError(
            "not inside a git repository", "run it in the repository whose commits it should check"
        )
    return root


@click.group()
def hooks() -> None:
    """Git hooks that refuse broken .agents/ files and a task done without a valid handoff."""


@hooks.command()
@click.option(
    "--hook",
    "names",
    multiple=True,
    type=HOOK_CHOICE,
    help="Which hook (repeatable; default: pre-commit).",
)
def install(names: tuple[str, ...]) -> int:
    """Install the hook. A hook already there is moved aside and still runs first; a set
    core.hooksPath is honoured (the hook goes where git looks) and said."""
    from agentmd import hooks as core

    for line in core.install(_root(), names or ("pre-commit",)):
        click.echo(line)
    return 0


@hooks.command()
@click.option(
    "--hook",
    "names",
    multiple=True,
    type=HOOK_CHOICE,
    help="Which hook (repeatable; default: both).",
)
def uninstall(names: tuple[str, ...]) -> int:
    """Remove agentmd's hooks and put back exactly what was there before."""
    from agentmd import hooks as core

    for line in core.uninstall(_root(), names or core.HOOKS):
        click.echo(line)
    return 0


@hooks.command(hidden=True)
@click.argument("hook", type=HOOK_CHOICE, default="pre-commit")
@click.argument("args", nargs=-1)
def run(hook: str, args: tuple[str, ...]) -> int:
    """Run the hook's check now (the pre-commit framework calls this)."""
    from agentmd import precommit

    return precommit.main([hook, *args])
