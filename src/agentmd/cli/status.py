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
    from agentmd.lessons.found import new_lessons

    lessons = new_lessons(ws)
    if as_json:
        data = state.as_json()
        data["workers"] = workers
        data["lessons"] = [{"ref": lesson.ref, "task": lesson.task} for lesson in lessons]
        emit_json(data)
        return 0
    for line in summary.render(state, workers):
        click.echo(line)
    if lessons:
        shown = ", ".join(lesson.ref for lesson in lessons[:5])
        more = f" and {len(lessons) - 5} more" if len(lessons) > 5 else ""
        click.echo(f"new lessons ({len(lessons)}): {shown}{more} ('agentmd lessons' lists them)")
    return 0
