"""What the commands share: opening the workspace, reporting unreadable files, JSON output."""

from __future__ import annotations

import json
from pathlib import Path

import click

from agentmd import JSON_SCHEMA
from agentmd.errors import Problem
from agentmd.workspace.folder import Workspace

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON (schema 1).")


def open_workspace() -> Workspace:
    """The workspace the command runs in. The console entry may have scanned it already for
    this run (a remembered output it did not find): it hands it over as the context object,
    taken once, so that a miss scans the files once. Its index cache may be written behind
    (Workspace.write_behind): the command waits for it as it ends."""
    found = Workspace.find(Path.cwd())
    ctx = click.get_current_context(silent=True)
    root = ctx.find_root() if ctx is not None else None
    scanned = root.obj if root is not None else None
    if isinstance(scanned, Workspace):
        root.obj = None  # type: ignore[union-attr]
        if scanned.root == found.root:
            found = scanned
    found.write_behind = True  # the command waits for the writer as it ends (errors.invoke)
    return found


def report_unreadable(ws: Workspace, *, full: bool = False) -> list[Problem]:
    """Say on stderr that files cannot be read; the command goes on with the rest. `full` (list,
    status: commands about the whole plan) names each with its located error; the others print
    one summary line, so that a broken file elsewhere does not bury what they say."""
    problems = ws.problems
    click.echo(unreadable_text(problems, full=full), nl=False, err=True)
    return problems


def unreadable_text(problems: list[Problem], *, full: bool = False) -> str:
    """What `report_unreadable` prints, for a command that remembers its output."""
    if full:
        return "".join(problem.render() + "\n" for problem in problems)
    if not problems:
        return ""
    return f"agentmd: warning: {len(problems)} file(s) cannot be read: agentmd check lists them\n"


def json_text(data: dict) -> str:
    return json.dumps({"schema": JSON_SCHEMA, **data}, indent=2, ensure_ascii=False) + "\n"


def emit_json(data: dict) -> None:
    click.echo(json_text(data), nl=False)


tokens_option = click.option(
    "--tokens",
    "token_counter",
    type=click.Choice(["estimate", "exact"]),
    default="estimate",
    show_default=True,
    help="How to count tokens: the offline estimate, or exactly through the Anthropic API.",
)
