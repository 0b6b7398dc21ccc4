"""The `agentmd` command: a lazy click group; each command lives in its own module and is
imported only when it runs."""

from __future__ import annotations

import importlib
import os
import sys

import click

from agentmd import __version__

# name -> "module:function". Later commands add a line here; nothing else changes.
COMMANDS = {
    "init": "agentmd.cli.init:init",
    "add": "agentmd.cli.tasks:add",
    "list": "agentmd.cli.tasks:list_tasks",
    "show": "agentmd.cli.tasks:show",
    "next": "agentmd.cli.next:next_task",
    "claim": "agentmd.cli.lifecycle:claim",
    "done": "agentmd.cli.lifecycle:done",
    "fail": "agentmd.cli.lifecycle:fail",
    "block": "agentmd.cli.lifecycle:block",
    # checks, handoffs and hooks
    "check": "agentmd.cli.check:check",
    "handoff": "agentmd.cli.handoff:handoff",
    "verify": "agentmd.cli.verify:verify",
    "hooks": "agentmd.cli.hooks:hooks",
    # many agents at once
    "status": "agentmd.cli.status:status",
    "release": "agentmd.cli.lifecycle:release",
    "reopen": "agentmd.cli.lifecycle:reopen",  # the way back from failed or blocked
    "worktree": "agentmd.cli.worktree:worktree",
    "run": "agentmd.cli.loop:run_loop",
    # the Anthropic API
    "tokens": "agentmd.cli.tokens:tokens",
    "review": "agentmd.cli.review:review",
    "decompose": "agentmd.cli.decompose:decompose",
    # doors into the agent hosts
    "prime": "agentmd.cli.prime:prime",
    "setup": "agentmd.cli.setup:setup",
    "mcp": "agentmd.cli.mcp:mcp",
    "hook": "agentmd.cli.hook:hook",
    # one set of rules for every host
    "rules": "agentmd.cli.rules:rules",
    # the flywheel
    "lessons": "agentmd.cli.lessons:lessons",
    # the web board
    "board": "agentmd.cli.board:board",
    # plans from elsewhere, the plan as one page, GitHub in and out
    "import": "agentmd.cli.importing:import_plan",
    "export": "agentmd.cli.export:export",
    "sync": "agentmd.cli.sync:sync",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, attr = target.split(":")
        return getattr(importlib.import_module(module), attr)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="agentmd", message="%(prog)s %(version)s")
@click.option(
    "-C",
    "directory",
    type=click.Path(exists=True, file_okay=False),
    help="Run as if agentmd was started in DIRECTORY (as git -C).",
    metavar="DIRECTORY",
)
def main(directory: str | None) -> None:
    """Plans, handoffs, memory and rules for coding agents, as Markdown in .agents/.

    Exit codes: 0 ok, 1 findings or nothing to do, 2 usage or I/O error.
    """
    if directory:
        os.chdir(directory)


def run(scanned: object = None) -> None:
    """The command line, through click."""
    sys.exit(invoked(scanned))


def invoked(scanned: object = None) -> int:
    """The command line's exit code, through click; `scanned`: the workspace entry.py already
    scanned."""
    from agentmd.cli.errors import invoke

    return invoke(main, scanned)
