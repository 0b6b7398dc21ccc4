"""Outputs of read-only commands, reused while no file under .agents/ has changed.

The key is a digest of every file's name, mtime, size and inode (`workspace.signature`), so a
run that finds nothing changed only scans the folder and prints. Entries are trusted only when
every file is older than the memo by the racy-clean margin, as the index cache does.
"""

from __future__ import annotations

import json
import time

from agentmd.files import cachefile
from agentmd.workspace.folder import (
    CACHE_DIR,
    CACHE_FORMAT,
    RACY_NS,
    Workspace,
    newest_mtime,
    signature,
)

MEMO_FILE = "memo.json"
MAX_ENTRIES = 16


def key(*parts: object) -> str:
    return json.dumps(parts, separators=(",", ":"))


def recall(ws: Workspace, memo_key: str) -> tuple[str, str] | None:
    """The (stdout, stderr) a run with the same key printed, when no file has changed since."""
    try:
        data = json.loads((ws.agents / CACHE_DIR / MEMO_FILE).read_bytes())
        if data["format"] != CACHE_FORMAT or data["signature"] != signature(ws.scanned):
            return None
        if newest_mtime(ws.scanned) >= data["written"] - RACY_NS:
            return None
        value = data["entries"].get(memo_key)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value):
        return value[0], value[1]
    return None


def remember(ws: Workspace, memo_key: str, output: str, errors: str) -> None:
    path = ws.agents / CACHE_DIR / MEMO_FILE
    sig = signature(ws.scanned)
    data = cachefile.read(path)
    same = (
        data.get("format") == CACHE_FORMAT
        and data.get("signature") == sig
        and isinstance(data.get("entries"), dict)
    )
    entries: dict[str, list[str]] = dict(data["entries"]) if same else {}
    entries[memo_key] = [output, errors]
    while len(entries) > MAX_ENTRIES:
        entries.pop(next(iter(entries)))
    payload = {
        "format": CACHE_FORMAT,
        "signature": sig,
        "written": time.time_ns(),
        "entries": entries,
    }
    cachefile.write(path, payload)
