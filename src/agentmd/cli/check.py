"""`agentmd check`: every finding, located, with a hint; `--fix` for the safe ones."""

from __future__ import annotations

from pathlib import Path

import click

from agentmd.cli.common import tokens_option
from agentmd.cli.findings import format_option, print_findings
from agentmd.workspace.folder import NotAWorkspace, Workspace


@click.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "--fix",
    is_flag=True,
    help="Apply the safe fixes (quote a value, a status's case) and print each.",
)
@format_option
@tokens_option
def check(paths: tuple[str, ...], fix: bool, output_format: str, token_counter: str) -> int:
    """Check .agents/ and the always-loaded agent files (AGENTS.md, CLAUDE.md, always-rules),
    or only the PATHs given (files or folders; files agentmd did not write get the checks
    that apply to them).

    Reports every finding as `path:line:col: error|warning code: message` and a hint.
    Exit 0 when there is no error, 1 when there is one, 2 on a usage or I/O error.
    """
    from agentmd.checks import passes

    ws: Workspace | None
    try:
        ws = Workspace.find(Path.cwd())
    except NotAWorkspace:
        if not paths:
            raise
        ws = None
    from agentmd.prompt.counters import counter_for

    counter = counter_for(token_counter, ws)
    if fix:
        for line in _fix(ws, list(paths)):
            click.echo(line, err=output_format != "text")
        if ws is not None:
            ws.refresh()
    if paths:
        report = passes.check_paths(ws, list(paths), counter)
    elif ws is not None:
        report = passes.check_workspace(ws, counter)
    else:  # Workspace.find raised above, when no path was given
        raise NotAWorkspace("no workspace to check", "run 'agentmd init' to create one")
    return print_findings(report.problems, output_format, report.checked)


def _fix(ws: Workspace | None, paths: list[str]) -> list[str]:
    from agentmd.checks import fixes, passes
    from agentmd.workspace.records import PLAN_DEFAULTS, Settings

    settings = ws.settings if ws else Settings.from_fields(dict(PLAN_DEFAULTS))
    if paths:
        files = [p for p in passes.expand(paths) if p.suffix == ".md"]
    else:
        assert ws is not None
        files = [ws.agents / rel for rel in passes.agents_files(ws)]
    done = []
    for path in files:
        rel = passes.agents_rel(ws, path)
        display = ws.display(rel) if ws is not None and rel is not None else str(path)
        is_task = rel is not None and rel.startswith("tasks/")
        done += [fix.render() for fix in fixes.fix_file(path, display, settings, is_task)]
    return done
