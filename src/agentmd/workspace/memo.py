"""Outputs of read-only commands, reused while no file under .agents/ has changed.

The key is a digest of every file's name, mtime, size and inode (`workspace.signature`), so a
run that finds nothing changed only scans the folder and prints. Entries are trusted only when
every file is older than the memo by the racy-clean margin, as the index cache does.

Each output is its own small file under .agents/.cache/memo/, named by a digest of what the
command was asked: a run reads its own output and nothing another command remembered (a
`list --json` of 10,000 tasks is megabytes; `next` is a few kilobytes).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from agentmd.files import cachefile, textfile
from agentmd.workspace.folder import (
    CACHE_DIR,
    CACHE_FORMAT,
    RACY_NS,
    Workspace,
    newest_mtime,
    signature,
)

MEMO_DIR = "memo"
MAX_ENTRIES = 16  # files kept; the oldest go first


def key(*parts: object) -> str:
    return json.dumps(parts, separators=(",", ":"))


def list_key(statuses: list[str] | tuple[str, ...], ready: bool, as_json: bool) -> str:
    """The key `agentmd list` is remembered under (cli/tasks.py, entry.py)."""
    return key("list", sorted(statuses), ready, as_json)


def path_of(ws: Workspace, memo_key: str) -> Path:
    name = textfile.sha1(memo_key.encode("utf-8", "surrogateescape"))
    return ws.agents / CACHE_DIR / MEMO_DIR / f"{name.hexdigest()[:20]}.json"


def recall(ws: Workspace, memo_key: str) -> tuple[str, str] | None:
    """The (stdout, stderr) a run with the same key printed, when no file has changed since."""
    try:
        data = json.loads(path_of(ws, memo_key).read_bytes())
        if (
            data["format"] != CACHE_FORMAT
            or data["key"] != memo_key
            or data["signature"] != signature(ws.scanned)
        ):
            return None
        if newest_mtime(ws.scanned) >= data["written"] - RACY_NS:
            return None
        output, errors = data["output"], data["errors"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if isinstance(output, str) and isinstance(errors, str):
        return output, errors
    return None


def remember(ws: Workspace, memo_key: str, output: str, errors: str) -> None:
    payload = {
        "format": CACHE_FORMAT,
        "key": memo_key,
        "signature": signature(ws.scanned),
        "written": time.time_ns(),
        "output": output,
        "errors": errors,
    }
    write(ws, memo_key, payload)


def write(ws: Workspace, memo_key: str, payload: dict) -> None:
    """`payload` as the memo file of `memo_key`, the oldest files beyond the limit gone."""
    path = path_of(ws, memo_key)
    cachefile.write(path, payload)
    _prune(path.parent)


def _prune(folder: Path) -> None:
    """Keep the MAX_ENTRIES newest outputs: a key holds HEAD for some commands, so old ones
    would pile up, one per commit."""
    try:
        with os.scandir(folder) as found:
            files = [(e.stat().st_mtime_ns, e.path) for e in found if e.name.endswith(".json")]
    except OSError:
        return
    if len(files) <= MAX_ENTRIES:
        return
    for _, stale in sorted(files)[: len(files) - MAX_ENTRIES]:
        try:
            os.unlink(stale)
        except OSError:
            pass
