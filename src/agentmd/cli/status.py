"""`agentmd status`: the board."""

from __future__ import annotations

import click

from agentmd.cli.common import emit_json, json_option, open_workspace, report_unreadable
from agentmd.loop import costs, runs
from agentmd.tasks import summary


@click.command()
@json_option
@click.option(
    "--watch",
    is_flag=True,
    help="Redraw the board (with the loop's slots, failed tasks and the spend) whenever "
    ".agents/ or a worker's log changes; ^C stops.",
)
def status(as_json: bool, watch: bool) -> int:
    """The board: counts per status, ready, active with owner and age, review, awaiting merge,
    blocked with blockers, stale claims (lease expired: agentmd release ID frees them)."""
    ws = open_workspace()
    if watch:
        return _watch(ws)
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
        data["spend"] = costs.as_json(ws)
        emit_json(data)
        return 0
    from agentmd.loop import limits

    for line in summary.render(state, workers) + limits.board_lines(ws) + costs.render(ws):
        click.echo(line)
    if lessons:
        shown = ", ".join(lesson.ref for lesson in lessons[:5])
        more = f" and {len(lessons) - 5} more" if len(lessons) > 5 else ""
        click.echo(f"new lessons ({len(lessons)}): {shown}{more} ('agentmd lessons' lists them)")
    return 0


def _watch(ws) -> int:
    import shutil
    import sys
    import threading

    from agentmd.loop import watch

    def draw(lines: list[str]) -> None:
        sys.stdout.write("\x1b[H\x1b[2J" + "\n".join(lines) + "\n")
        sys.stdout.flush()

    def size() -> tuple[int, int]:
        columns, rows = shutil.get_terminal_size()
        return columns, rows

    try:
        watch.watch(ws, draw, size, threading.Event())
    except KeyboardInterrupt:
        pass
    return 0
