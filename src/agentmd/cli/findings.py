"""Printing findings as text, JSON or GitHub workflow annotations; the exit code they mean."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import islice
from operator import itemgetter

import click

from agentmd.cli.common import emit_json
from agentmd.errors import EXIT_FINDINGS, EXIT_OK, Problem

format_option = click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    show_default=True,
    help="text for people, json (schema 1) for scripts, github for workflow annotations.",
)


def order(problems: list[Problem]) -> list[Problem]:
    unique = dict.fromkeys(problems)
    return sorted(unique, key=_PLACE)


_PLACE = itemgetter(0, 1, 2, 3, 4)  # path, line, col, code, message: the key built in C


def _escape(text: str, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if prop else text


def github(problem: Problem) -> str:
    kind = "error" if problem.severity == "error" else "warning"
    props = (
        f"file={_escape(problem.path, True)},line={problem.line},col={problem.col},"
        f"title={_escape(problem.code, True)}"
    )
    message = problem.message + (f"\nhint: {problem.hint}" if problem.hint else "")
    return f"::{kind} {props}::{_escape(message)}"


def print_findings(problems: list[Problem], output_format: str, checked: int) -> int:
    problems = order(problems)
    errors = sum(1 for p in problems if p.severity == "error")
    warnings = len(problems) - errors
    if output_format == "json":
        emit_json(
            {
                "findings": [p.as_dict() for p in problems],
                "errors": errors,
                "warnings": warnings,
                "checked": checked,
            }
        )
    else:
        _echo_lines(github(p) if output_format == "github" else p.render() for p in problems)
        if output_format == "text":
            if problems:
                click.echo(
                    f"{errors} error(s), {warnings} warning(s) in {checked} file(s) checked",
                    err=True,
                )
            else:
                click.echo(f"ok: {checked} file(s) checked", err=True)
    return EXIT_FINDINGS if errors else EXIT_OK


def _echo_lines(lines: Iterable[str]) -> None:
    """The findings a few hundred lines a write, not one write (and flush) each: 1,755 of them at
    10,000 tasks, never all held at once. A stream that cannot encode one of them is given those
    lines one by one, as it was: the lines before that one are written, then the error is
    click's."""
    lines = iter(lines)
    while chunk := list(islice(lines, 256)):
        try:
            click.echo("\n".join(chunk))
        except UnicodeEncodeError:
            for line in chunk:
                click.echo(line)
