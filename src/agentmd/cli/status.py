"""`agentmd status`: the board."""

from __future__ import annotations

import click

from agentmd.cli.common import emit_json, json_option, open_workspace, report_unreadable
from agentmd.loop import runs
from agentmd.tasks import summary


@click.command()
@json_option
def status(as_json: bool) -> int:
    """The board: counts per status, ready, active with owner and age, review, awaiting merge,
    blocked with blockers, stale claims (lease expired: agentmd release ID frees them)."""
    ws = open_workspace()
    report_unreadable(ws, full=True)
    from agentmd.checks import readiness

    state = summary.build(ws, errors=readiness.reasons(ws))
    workers = runs.describe(ws)
    if as_json:
        data = state.as_json()
        data["workers"] = workers
        emit_json(data)
        return 0
    for line in summary.render(state, workers):
        click.echo(line)
    return 0
