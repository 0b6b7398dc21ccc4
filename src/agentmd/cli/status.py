"""`agentmd status`: the board."""

from __future__ import annotations

import click

from agentmd.cli.common import emit_json, json_option, open_workspace, report_unreadable
from agentmd.loop import costs, runs
from agentmd.tasks import summary


@click.command()
@json_option
def status(as_json: bool) -> int:
    """The board: counts per status, ready, active with owner and age, review, awaiting merge,
    blocked with blockers, stale claims (lease expired: agentmd release ID frees them)."""
    ws = open_workspace()
    report_unreadable(ws)
    state = summary.build(ws)
    workers = runs.describe(ws)
    if as_json:
        data = state.as_json()
        data["workers"] = workers
        data["spend"] = costs.as_json(ws)
        emit_json(data)
        return 0
    for line in summary.render(state, workers) + costs.render(ws):
        click.echo(line)
    return 0
