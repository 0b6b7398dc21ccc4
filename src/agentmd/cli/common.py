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
    return Workspace.find(Path.cwd())


def report_unreadable(ws: Workspace) -> list[Problem]:
    """Name every file that cannot be read on stderr; the command goes on with the rest."""
    problems = ws.problems
    for problem in problems:
        click.echo(problem.render(), err=True)
    return problems


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
