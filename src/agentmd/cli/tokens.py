"""`agentmd tokens`: each file's token count; with `--tokens exact`, the estimate beside it."""

from __future__ import annotations

import os
from pathlib import Path

import click

from agentmd.cli.common import emit_json, json_option, open_workspace, tokens_option
from agentmd.errors import EXIT_USAGE, LocatedError, Problem
from agentmd.files import textfile
from agentmd.prompt.counters import counter_for
from agentmd.prompt.tokens import ESTIMATE


@click.command()
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@tokens_option
@json_option
@click.option(
    "--as",
    "host",
    metavar="HOST",
    help="What HOST (claude, codex, cursor, copilot, gemini, windsurf, cline) loads when a "
    "session works on each PATH, file by file (docs/hosts.md).",
)
def tokens(paths: tuple[str, ...], token_counter: str, as_json: bool, host: str | None) -> int:
    """Count the tokens of each file (a folder: every file below it).

    With --tokens exact, counts through the Anthropic API (cached under .agents/.cache/) and
    shows the offline estimate beside each count, and how far off it was. With --as HOST, the
    files HOST loads for a session working on each PATH instead, in its order, with the
    total. Exit 2 when a file cannot be read (the others are still counted).
    """
    if host is not None:
        from agentmd.cli.host_loads import show_loads

        return show_loads(host, paths, token_counter, as_json)
    files, problems = _expand(paths)
    # Exact counts need the workspace: its plan names the model, its .cache/ keeps the counts.
    counter = counter_for("exact", open_workspace()) if token_counter == "exact" else None
    rows = []
    for display, path in files:
        try:
            text = textfile.read_text(path, display)
        except LocatedError as exc:
            problems.append(exc.problem)
            continue
        if token_counter == "exact":
            rows.append((display, counter.compare(text)))  # type: ignore[union-attr]
        else:
            rows.append((display, ESTIMATE.count(text)))
    for problem in problems:
        click.echo(problem.render(), err=True)
    if as_json:
        _json(rows, token_counter, counter)
    else:
        _table(rows, token_counter)
    return EXIT_USAGE if problems else 0


def _expand(paths: tuple[str, ...]) -> tuple[list[tuple[str, Path]], list[Problem]]:
    files: list[tuple[str, Path]] = []
    problems: list[Problem] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for folder, dirs, names in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(names):
                    if not name.startswith("."):
                        files.append((os.path.join(folder, name), Path(folder) / name))
        elif path.exists():
            files.append((raw, path))
        else:
            problems.append(Problem(raw, 1, 1, "missing", "no such file or folder"))
    return files, problems


def _table(rows: list, counter: str) -> None:
    if not rows:
        return
    if counter == "exact":
        click.echo(f"{'exact':>9}  {'estimate':>9}  {'off':>7}  file")
        total_exact = total_estimate = 0
        for display, comparison in rows:
            total_exact += comparison.exact
            total_estimate += comparison.estimate
            click.echo(
                f"{comparison.exact:>9,}  {comparison.estimate:>9,} "
                f" {_percent(comparison):>7}  {display}"
            )
        if len(rows) > 1:
            from agentmd.api.exact_tokens import Comparison

            total = Comparison(total_exact, total_estimate)
            click.echo(f"{total.exact:>9,}  {total.estimate:>9,}  {_percent(total):>7}  total")
        return
    for display, count in rows:
        click.echo(f"{count:>9,}  {display}")
    if len(rows) > 1:
        click.echo(f"{sum(count for _, count in rows):>9,}  total")


def _percent(comparison) -> str:
    return f"{comparison.percent:+.1f}%"


def _json(rows: list, counter_name: str, counter) -> None:
    if counter_name == "exact":
        files = [
            {"path": display, "tokens": c.exact, "estimate": c.as_json()} for display, c in rows
        ]
        total = sum(c.exact for _, c in rows)
        emit_json(
            {
                "counter": "exact",
                "model": counter.model if counter else None,
                "files": files,
                "total": total,
            }
        )
    else:
        files = [{"path": display, "tokens": count} for display, count in rows]
        emit_json({"counter": "estimate", "files": files, "total": sum(count for _, count in rows)})
