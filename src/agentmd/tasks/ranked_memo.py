"""The ranked plan of `next --parallel`, remembered between processes and kept for the files
that changed when they cannot change it.

A batch depends on every task's front matter (what is ready, the order, the outputs that
conflict), on the whole text of the tasks it prints and of their dependencies, and on every
other file (handoffs, rules, plan.md). So beside the output this keeps each file's stat key and
a digest of each task's fields: a run that finds only task files changed whose fields are as
they were (an edit to the notes of a task not in the batch, a file touched), and none of the
batch's own, reads those few files and prints what was remembered, without rebuilding and
ranking 10,000 tasks. Anything else, and the caller ranks again.
"""

from __future__ import annotations

import json
import time

from agentmd.files import textfile
from agentmd.workspace import memo
from agentmd.workspace.folder import CACHE_FORMAT, RACY_NS, Entry, Workspace
from agentmd.workspace.records import Record
from agentmd.workspace.statkey import stat_parts

PREFIX = "tasks/"


def fields_digest(record: Record) -> str:
    """A task's front matter, as a short digest: equal digests, same fields."""
    return textfile.sha1(repr(record.fields).encode("utf-8", "surrogateescape")).hexdigest()[:16]


def remember(ws: Workspace, memo_key: str, output: str, errors: str, pinned: set[str]) -> None:
    """Keep the output, the stat key of every file, the fields digest of every task, and the
    task files (`pinned`, relative to .agents/) any change to which changes the output."""
    entries = ws.scanned
    if any(e.key is None for e in entries):
        return  # a file that cannot be read: its fixing would go unseen
    started = time.time_ns()
    records = {r.path: r for r in ws.index.groups["tasks"]}
    payload = {
        "format": CACHE_FORMAT,
        "key": memo_key,
        "written": started,
        "names": "\0".join(e.rel for e in entries),
        # A file within the racy window may change again without its stat key moving: 0 makes
        # it one that changed, whose fields are read and compared next time.
        "stamps": [n for e in entries for n in _stamp(e, started)],
        "fields": [fields_digest(records[e.rel]) if e.rel in records else "" for e in entries],
        "pinned": sorted(pinned),
        "output": output,
        "errors": errors,
    }
    memo.write(ws, "ranked " + memo_key, payload)


def _stamp(entry: Entry, now: int) -> tuple[int, int, int]:
    key = stat_parts(entry.key) if entry.key else (0, 0, 0)
    return (0, 0, 0) if key[0] >= now - RACY_NS else key


def recall(ws: Workspace, memo_key: str) -> tuple[str, str] | None:
    """The remembered (stdout, stderr), when no file changed that could change them."""
    try:
        data = json.loads(memo.path_of(ws, "ranked " + memo_key).read_bytes())
        if data["format"] != CACHE_FORMAT or data["key"] != memo_key:
            return None
        names, stamps, digests = data["names"], data["stamps"], data["fields"]
        pinned, output, errors = set(data["pinned"]), data["output"], data["errors"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    entries = ws.scanned
    if names != "\0".join(e.rel for e in entries) or len(stamps) != 3 * len(entries):
        return None  # a file came or went
    for n, entry in enumerate(entries):
        if entry.key is None:
            return None
        key = stat_parts(entry.key)
        at = 3 * n
        if key[0] == stamps[at] and key[1] == stamps[at + 1] and key[2] == stamps[at + 2]:
            continue
        if not _same_fields(ws, entry, digests[n], pinned):
            return None
    if not (isinstance(output, str) and isinstance(errors, str)):
        return None
    return output, errors


def _same_fields(ws: Workspace, entry: Entry, digest: str, pinned: set[str]) -> bool:
    """Whether a changed file leaves the output as it was: a task outside the batch and its
    dependencies, readable, with the same fields."""
    if not entry.rel.startswith(PREFIX) or entry.rel in pinned or not digest:
        return False
    from agentmd.workspace.folder import read_record

    record = read_record(ws, entry.rel)
    return record.problem is None and fields_digest(record) == digest
