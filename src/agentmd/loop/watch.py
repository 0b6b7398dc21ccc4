"""`agentmd status --watch`: the board redrawn whenever a file under `.agents/` or a worker's
log changes (file events, no polling), sized to the terminal: the loop's slots (task, attempt,
age, the last line of its log), then the board (ready, active, review, blocked), the failed
tasks with their last reason, and the spend."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from agentmd import clock
from agentmd.loop import costs, limits, runs
from agentmd.tasks import summary
from agentmd.workspace.folder import CACHE_DIR, FOLDERS, Workspace

DEBOUNCE = 0.2  # seconds of quiet after a change before the board is drawn again
AGES_REDRAW = 30.0  # seconds: nothing changed, but the ages on the board did
FALLBACK_POLL = 2.0  # only without watchdog (or where the OS gives no file events)


def frame(ws: Workspace, width: int, height: int) -> list[str]:
    """The board as at most `height` lines of at most `width` columns."""
    ws.refresh()
    lines = slot_lines(ws)
    lines += summary.render(summary.build(ws), runs.describe(ws))  # failed, with reasons
    lines += limits.board_lines(ws)
    lines += costs.render(ws)
    lines.append("(redrawn when .agents/ or a worker's log changes; ^C stops)")
    if len(lines) > height:
        lines = lines[: height - 1] + [f"... {len(lines) - height + 1} more line(s)"]
    return [line if len(line) <= width else line[: max(0, width - 1)] + "…" for line in lines]


def slot_lines(ws: Workspace) -> list[str]:
    found = runs.load(ws)
    if not found:
        return []
    lines = [f"slots ({len(found)}):"]
    for task_id, run in sorted(found.items(), key=lambda item: item[1].slot):
        age = (
            clock.human(dt.timedelta(seconds=time.time() - run.started)) if run.pid else "starting"
        )
        last = runs.tail(run.log(ws), lines=1).strip()
        lines.append(f"  {run.slot}  {task_id}  attempt {run.attempt}, {age}: {last}")
    return lines


def watch(
    ws: Workspace,
    draw: Callable[[list[str]], None],
    size: Callable[[], tuple[int, int]],
    stop: threading.Event,
) -> None:
    """Draw, then draw again on each change, until `stop` is set."""
    wake = threading.Event()
    observer = _observe(ws, wake)
    try:
        while not stop.is_set():
            width, height = size()
            draw(frame(ws, width, height))
            # Only the ages move without a change: redrawn now and then for them.
            wake.wait(AGES_REDRAW if observer is not None else FALLBACK_POLL)
            if stop.is_set():
                break
            time.sleep(DEBOUNCE)
            wake.clear()
    finally:
        stop_observing(observer)


def observe(
    ws: Workspace,
    wake: threading.Event,
    also: tuple[Path, ...] = (),
    ignore: Callable[[str], bool] = lambda path: False,
):
    """Set `wake` when a file changes under .agents/ (itself and its folders, never recursive
    over .agents/ itself: .cache/ holds the worktrees, whole checkouts) or under the folders
    `also` names, unless `ignore` says its path does not count. The watchdog observer, to stop
    with `stop_observing`; None without watchdog or when it cannot watch: callers poll."""
    try:
        from watchdog.events import FileSystemEventHandler
        from watchdog.observers import Observer
    except ImportError:
        return None

    _quiet_stop()

    class Handler(FileSystemEventHandler):
        def on_any_event(self, event) -> None:
            if not ignore(str(getattr(event, "src_path", ""))):
                wake.set()

    observer = Observer()
    try:
        observer.schedule(Handler(), str(ws.agents), recursive=False)
        for folder in FOLDERS.values():
            if (ws.agents / folder).is_dir():
                observer.schedule(Handler(), str(ws.agents / folder), recursive=True)
        for extra in also:
            extra.mkdir(parents=True, exist_ok=True)
            observer.schedule(Handler(), str(extra), recursive=True)
        observer.daemon = True
        observer.start()
    except OSError:
        return None
    return observer


STOP_RACE = "InotifyEmitter.queue_events() called when the thread is inactive"


def _drop_stop_race(record: logging.LogRecord) -> bool:
    return record.getMessage() != STOP_RACE


def _quiet_stop() -> None:
    """watchdog logs an error when its inotify thread reads once more after `stop` (a race it
    handles: the read is dropped, gorakhargosh/watchdog#963); with no logging set up, Python
    printed it under the loop's last line. That message alone is dropped."""
    logger = logging.getLogger("watchdog.observers.inotify")
    if _drop_stop_race not in logger.filters:
        logger.addFilter(_drop_stop_race)


def stop_observing(observer) -> None:
    if observer is not None:
        observer.stop()
        observer.join(timeout=2)


def _observe(ws: Workspace, wake: threading.Event):
    """The board's watch: .agents/ and, of the cache, only the runs (their logs' last lines)."""
    return observe(
        ws, wake, (ws.agents / CACHE_DIR / runs.RUNS_DIR,), lambda path: path.endswith(".lock")
    )
