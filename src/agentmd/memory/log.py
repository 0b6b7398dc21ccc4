"""memory/log.md, the episodic log: one line per event, appended; past `log_max_lines` event
lines, the oldest move to memory/log-<year>.md (append-only, merged as a union like log.md).

Appending and rotating hold one lock (.agents/.cache/log.lock), so that two processes logging
at once lose no line and write none twice: a rotation reads and replaces log.md, and no append
may land between the two.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
from collections.abc import Iterator
from pathlib import Path

from agentmd.files import textfile
from agentmd.workspace.folder import CACHE_DIR, Workspace

LOG = "memory/log.md"
LOCK = "log.lock"
DEFAULT_MAX_LINES = 5000
KEEP_SHARE = 0.8  # a rotation leaves this share of log_max_lines, so that it is not run each time
YEAR_RE = re.compile(r"^- (\d{4})-\d\d-\d\d")


def max_lines(ws: Workspace) -> int:
    value = ws.settings.raw.get("log_max_lines", DEFAULT_MAX_LINES)
    return (
        value
        if isinstance(value, int) and not isinstance(value, bool) and value > 0
        else (DEFAULT_MAX_LINES)
    )


@contextlib.contextmanager
def _locked(ws: Workspace) -> Iterator[None]:
    folder = ws.agents / CACHE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / LOCK, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def append(ws: Workspace, line: str) -> None:
    """Append one event line; rotate when the log has grown past its limit."""
    path = ws.agents / LOG
    with _locked(ws):
        textfile.append_line(path, line, ws.display(LOG))
        limit = max_lines(ws)
        if path.stat().st_size > limit * 16:  # fewer bytes cannot hold `limit` event lines
            rotate(ws, limit)


def rotate(ws: Workspace, limit: int) -> int:
    """Move the oldest event lines to log-<year>.md until `limit * KEEP_SHARE` remain, when
    there are more than `limit`; the number moved. The caller holds the log lock."""
    path = ws.agents / LOG
    text = textfile.read_text(path, ws.display(LOG))
    lines = text.splitlines(keepends=True)
    events = [i for i, line in enumerate(lines) if line.startswith("- ")]
    if len(events) <= limit:
        return 0
    moving = events[: len(events) - int(limit * KEEP_SHARE)]
    by_year: dict[str, list[str]] = {}
    year = ""
    for index in moving:
        match = YEAR_RE.match(lines[index])
        year = match.group(1) if match else year or _year_of(lines, events)
        by_year.setdefault(year, []).append(lines[index].rstrip("\r\n"))
    for year, moved in by_year.items():
        archive = ws.agents / f"memory/log-{year}.md"
        if not archive.exists():
            textfile.create_exclusive(archive, f"# Log, {year}\n\nMoved from log.md by agentmd.\n")
        for line in moved:
            textfile.append_line(archive, line, ws.display(f"memory/log-{year}.md"))
    gone = set(moving)
    textfile.atomic_write(path, "".join(line for i, line in enumerate(lines) if i not in gone))
    return len(moving)


def _year_of(lines: list[str], events: list[int]) -> str:
    for index in events:
        match = YEAR_RE.match(lines[index])
        if match:
            return match.group(1)
    return "undated"


def log_files(ws: Workspace) -> list[Path]:
    """log-<year>.md oldest first, then log.md."""
    folder = ws.agents / "memory"
    archives = sorted(folder.glob("log-*.md")) if folder.is_dir() else []
    return [*archives, folder / "log.md"]


def log_lines(ws: Workspace) -> list[str]:
    """Every event line, the archives' first."""
    found = []
    for path in log_files(ws):
        try:
            text = textfile.read_text(path, ws.display(path.relative_to(ws.agents).as_posix()))
        except Exception:  # a missing or unreadable log has no events to give
            continue
        found += [line for line in text.splitlines() if line.startswith("- ")]
    return found
