"""The index's cache file, .agents/.cache/index.jsonl: each file's record, keyed by the stat key
(mtime, size, inode) it had when it was read, so that a run parses only what changed.

JSON lines, read one line at a time: a 10,000-task plan's cache is megabytes of text, and
decoded whole it was held beside the objects built from it (`check` peaked there).

    {"format":F,"written":N}                                    the header
    [[[key,...],[line,...]],...]                                the layouts
    [["rel",mtime,size,inode],...]                              up to BATCH files' stat keys
    [[layout,values,body_line,problem,suspect,digest],...]      and their records, in order
    ...                                                         (a pair of lines per batch)

A layout is the field names of a front matter and the line each stands on: files written from
one template share it, so a record holds its values alone and its fields dict is built from
the layout's names (one copy of each name; one `lines` dict per layout). When only stat keys
moved (a checkout, a touch), the keys lines are written anew and every other line copied from
the file as it was read: no record is encoded again."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import BinaryIO, NamedTuple

from agentmd import __version__
from agentmd.errors import Problem
from agentmd.files import cachefile
from agentmd.workspace.records import Record
from agentmd.workspace.statkey import key_of, stat_parts

FILE = "index.jsonl"
# 10: JSON lines, layouts; 9: stat keys apart from the records; 8: every file's blob id
FORMAT = f"agentmd {__version__} index 10"
BATCH = 512  # files a pair of lines holds: a few hundred kilobytes of text at a time

Key = bytes  # a file's mtime (ns), size and inode, packed (statkey.py); three numbers here
Layouts = dict[tuple, dict[str, int]]  # (names, lines) -> the one `lines` dict of that layout


class Kept(NamedTuple):
    """The cache file just read, to copy its records from as they are."""

    stat: tuple[int, int, int]  # the cache file's own mtime, size and inode when it was read
    files: int  # how many records it holds


class _Stale(Exception):
    """The cache file read before is not the one on disk now, or lists another set of files."""


def read(
    path: Path, layouts: Layouts, strings: dict[str, str] | None = None
) -> tuple[dict[str, tuple[Key, Record]], int, Kept | None]:
    """Each cached file's stat key and record, by path; when the time the cache was written.
    Empty for a missing file, a broken one, or one of another format. `layouts`: shared with
    the records parsed in the same run; `strings`: the scan's paths, for a record's path to be
    its entry's (one copy of each)."""
    try:
        with open(path, "rb") as handle:
            st = os.fstat(handle.fileno())
            stat = (st.st_mtime_ns, st.st_size, st.st_ino)
            return _read(handle, layouts, {} if strings is None else strings, stat)
    except (OSError, ValueError, TypeError, KeyError, IndexError, AttributeError):
        return {}, 0, None  # a cache gone wrong only costs a parse


def _read(
    handle: BinaryIO, layouts: Layouts, strings: dict[str, str], stat: tuple[int, int, int]
) -> tuple[dict[str, tuple[Key, Record]], int, Kept | None]:
    loads = json.loads
    header = loads(handle.readline())
    if type(header) is not dict or header.get("format") != FORMAT:
        return {}, 0, None
    written = header["written"]
    if type(written) is not int:
        return {}, 0, None
    intern = sys.intern
    table: list[tuple[tuple[str, ...], dict[str, int]]] = []
    for names, numbers in loads(handle.readline()):
        names, numbers = tuple(intern(name) for name in names), tuple(numbers)
        found = layouts.get((names, numbers))
        if found is None:
            found = layouts[names, numbers] = dict(zip(names, numbers, strict=True))
        table.append((names, found))
    records: dict[str, tuple[Key, Record]] = {}
    keep = strings.setdefault
    while keys_line := handle.readline():
        keys, batch = loads(keys_line), loads(handle.readline())
        for (rel, mtime, size, inode), item in zip(keys, batch, strict=True):
            rel = keep(rel, rel)
            records[rel] = (key_of(mtime, size, inode), _record(rel, item, table))
    # A file cut short between two batches (it is written whole, then renamed: it should not
    # be) reads as fewer records: the files it lacks are parsed, never misread.
    return records, written, Kept(stat, len(records))


def _record(rel: str, item: list, table: list[tuple[tuple[str, ...], dict[str, int]]]) -> Record:
    layout, values, body_line, problem, suspect, digest = item
    names, lines = table[layout]
    if type(values) is list:
        # A list at its size (the decoder leaves room for more: a megabyte at 10,000 tasks).
        # Sharing short values as a parse does saved 1.6 MB more and cost 30 ms of the read,
        # and their list items 1.6 MB more for 70: a touch of every file is held to 1 s.
        sized = [v[:] if type(v) is list else v for v in values]
        fields = dict(zip(names, sized, strict=True))
    elif type(values) is dict:
        fields = values
    else:
        raise TypeError("a record's values are neither a list nor a mapping")
    problem = Problem(**problem) if problem else None
    # Record's own constructor is a Python call; 13,000 of them show.
    return _make(Record, (rel, fields, lines, body_line, problem, suspect, bytes.fromhex(digest)))


_make = tuple.__new__


def write(
    path: Path, records: dict[str, tuple[Key, Record]], written: int, kept: Kept | None = None
) -> None:
    """Best effort: a cache that cannot be written only costs speed next time. Written a batch
    at a time as it is encoded, never held whole. `kept`: the records are the ones of the cache
    file read before (only stat keys moved), copied from it as they are."""
    if kept is not None:
        try:
            cachefile.write_chunks(path, _copied(path, kept, records, written))
            return
        except _Stale:
            pass
    cachefile.write_chunks(path, _encoded(records, written))


_encode = json.JSONEncoder(separators=(",", ":")).encode


def _header(written: int) -> str:
    return _encode({"format": FORMAT, "written": written}) + "\n"


def _encoded(records: dict[str, tuple[Key, Record]], written: int) -> Iterator[str]:
    by_id: dict[int, int] = {}  # id of a record's `lines` dict -> its layout's number
    numbers: dict[tuple, int] = {}  # a layout (names, lines) -> its number
    layouts: list[list] = []
    for _, record in records.values():  # the layouts first: their line comes before the batches
        lines = record.lines
        if id(lines) not in by_id:  # records share their layout's dict; a few hold a copy of it
            layout = (tuple(lines), tuple(lines.values()))
            number = by_id[id(lines)] = numbers.setdefault(layout, len(numbers))
            if number == len(layouts):
                layouts.append([list(lines), list(lines.values())])
    yield _header(written)
    yield _encode(layouts) + "\n"
    # Each batch's lines built when it is written: all 13,000 at once were 5 MB (the peak of a
    # cold `next`).
    pairs = iter(records.items())
    while chunk := list(islice(pairs, BATCH)):
        batch_keys: list[list] = []
        batch: list[list] = []
        for rel, (key, record) in chunk:
            fields, lines = record.fields, record.lines
            values = list(fields.values()) if list(fields) == list(lines) else fields
            problem = record.problem.as_dict() if record.problem else None
            batch_keys.append([rel, *stat_parts(key)])
            batch.append(
                [
                    by_id[id(lines)],
                    values,
                    record.body_line,
                    problem,
                    record.suspect,
                    record.digest.hex(),
                ]
            )
        try:
            keys_line, records_line = _encode(batch_keys), _encode(batch)
        except (TypeError, ValueError):  # a value JSON cannot hold: that file is parsed again
            pairs_ok = [(k, i) for k, i in zip(batch_keys, batch, strict=True) if _encodable(i)]
            keys_line = _encode([k for k, _ in pairs_ok])
            records_line = _encode([i for _, i in pairs_ok])
        yield keys_line + "\n"
        yield records_line + "\n"


def _encodable(item: list) -> bool:
    try:
        _encode(item)
    except (TypeError, ValueError):
        return False
    return True


def _copied(
    path: Path, kept: Kept, records: dict[str, tuple[Key, Record]], written: int
) -> Iterator[str]:
    """The cache file read before with each file's stat key as it is now, every other line as
    it was; _Stale when that file is not the one read, or does not list the same files."""
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed below, when the generator ends
    except OSError as exc:
        raise _Stale from exc
    with handle:
        st = os.fstat(handle.fileno())
        if (st.st_mtime_ns, st.st_size, st.st_ino) != kept.stat or len(records) != kept.files:
            raise _Stale
        handle.readline()
        yield _header(written)
        yield handle.readline().decode("ascii")
        while keys_line := handle.readline():
            try:
                now = [[rel, *stat_parts(records[rel][0])] for rel, *_ in json.loads(keys_line)]
            except (KeyError, ValueError, TypeError) as exc:
                raise _Stale from exc
            yield _encode(now) + "\n"
            yield handle.readline().decode("ascii")
