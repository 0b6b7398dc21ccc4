"""The index's cache file, .agents/.cache/index.bin: each file's record, keyed by the stat key
(mtime, size, inode) it had when it was read, so that a run parses only what changed.

A header line, then frames, each its length (4 bytes, big-endian) and one `marshal` value:

    b"agentmd V index 11 marshal 4\\n"                 the header: another one reads as no cache
    (written, ((names, lines), ...))                   when it was written, and the layouts
    ((rel, key), ...)                                  up to BATCH files' paths and stat keys
    ((layout, fields, body_line, problem, suspect, digest), ...)   and their records, in order
    ...                                                (a pair of frames per batch)
    None                                               the end: a file without it is no cache

`marshal` is CPython's own format for its compiled files: a batch decodes in C, into the dicts,
lists and strings a record holds, several times as fast as the same batch as JSON, and with
the values that records share decoded once (a 10,000-task plan's 1,000 copies of "todo", or
of an input every task of an area reads). It loads data and runs nothing, but it is not meant
for files from elsewhere: this one only ever holds what agentmd wrote, under .agents/.cache/
(never committed), and a run that finds anything else in it parses the files instead.

A layout is the field names of a front matter and the line each stands on: files written from
one template share it, and their records one `lines` dict of it. When only stat keys moved (a
checkout, a touch), the keys frames are written anew and every records frame copied from the
file as it was read: no record is encoded again."""

from __future__ import annotations

import marshal
import os
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from struct import Struct
from typing import Any, BinaryIO, NamedTuple

from agentmd import __version__
from agentmd.errors import Problem
from agentmd.files import cachefile
from agentmd.workspace.records import Record

FILE = "index.bin"
OLD_FILES = ("index.jsonl",)  # what earlier versions wrote there: removed when this one is
# 11: marshal frames; 10: JSON lines, layouts; 9: stat keys apart from the records
FORMAT = f"agentmd {__version__} index 11"
# marshal's version 4, read by every CPython since 3.4 (what it holds here, it has read alike
# since): the Python that installed agentmd with pipx and a project's own share one cache, and
# a header naming the Python would have each parse every file again after the other.
MARSHAL = 4
HEADER = f"{FORMAT} marshal {MARSHAL}\n".encode()
BATCH = 512  # files a pair of frames holds: a few hundred kilobytes at a time
LENGTH = Struct(">I")

Key = bytes  # a file's mtime (ns), size and inode, packed (statkey.py)
Layouts = dict[tuple, dict[str, int]]  # (names, lines) -> the one `lines` dict of that layout


class Kept(NamedTuple):
    """The cache file just read, to copy its records from as they are."""

    stat: tuple[int, int, int]  # the cache file's own mtime, size and inode when it was read
    files: int  # how many records it holds


class _Stale(Exception):
    """The cache file read before is not the one on disk now, or lists another set of files."""


class _Broken(Exception):
    """The cache file is not one this version wrote whole."""


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
    except (OSError, EOFError, ValueError, TypeError, KeyError, IndexError, _Broken):
        return {}, 0, None  # a cache gone wrong only costs a parse


def _frame(handle: BinaryIO, size: int) -> bytes:
    """The next frame's value, undecoded, from `handle` on a file of `size` bytes."""
    head = handle.read(4)
    if len(head) != 4:
        raise _Broken("cut short")
    (length,) = LENGTH.unpack(head)
    # A length past the file's end is a broken file, not a gigabyte to set aside for it
    if length > size - handle.tell():
        raise _Broken("a frame longer than the file")
    data = handle.read(length)
    if len(data) != length:
        raise _Broken("cut short")
    return data


def _read(
    handle: BinaryIO, layouts: Layouts, strings: dict[str, str], stat: tuple[int, int, int]
) -> tuple[dict[str, tuple[Key, Record]], int, Kept | None]:
    if handle.readline() != HEADER:
        return {}, 0, None
    loads = marshal.loads
    size = stat[1]
    written, table_in = loads(_frame(handle, size))
    if type(written) is not int:
        raise _Broken("no time written")
    table: list[dict[str, int]] = []
    for names, numbers in table_in:
        found = layouts.get((names, numbers))
        if found is None:
            found = layouts[names, numbers] = dict(zip(names, numbers, strict=True))
        table.append(found)
    records: dict[str, tuple[Key, Record]] = {}
    keep = strings.setdefault
    make = tuple.__new__  # Record's own constructor is a Python call; 13,000 of them show
    while (keys := loads(_frame(handle, size))) is not None:
        batch = loads(_frame(handle, size))
        for (rel, key), item in zip(keys, batch, strict=True):  # one record to a key
            layout, fields, body_line, problem, suspect, digest = item
            if type(fields) is not dict or type(key) is not bytes or type(digest) is not bytes:
                raise _Broken("a record of another shape")
            rel = keep(rel, rel)
            record = (rel, fields, table[layout], body_line, problem and Problem(*problem))
            records[rel] = (key, make(Record, (*record, suspect, digest)))
    if handle.read(1):
        raise _Broken("more after the end")
    return records, written, Kept(stat, len(records))


def write(
    path: Path, records: dict[str, tuple[Key, Record]], written: int, kept: Kept | None = None
) -> None:
    """Best effort: a cache that cannot be written only costs speed next time. Written a batch
    at a time as it is encoded, never held whole. `kept`: the records are the ones of the cache
    file read before (only stat keys moved), copied from it as they are."""
    for old in OLD_FILES:
        cachefile.remove(path.with_name(old))
    if kept is not None:
        try:
            cachefile.write_chunks(path, _copied(path, kept, records, written))
            return
        except _Stale:
            pass
    cachefile.write_chunks(path, _encoded(records, written))


def _framed(value: Any) -> bytes:
    data = marshal.dumps(value, MARSHAL)
    return LENGTH.pack(len(data)) + data


def _encoded(records: dict[str, tuple[Key, Record]], written: int) -> Iterator[bytes]:
    by_id: dict[int, int] = {}  # id of a record's `lines` dict -> its layout's number
    numbers: dict[tuple, int] = {}  # a layout (names, lines) -> its number
    for _, record in records.values():  # the layouts first: their frame comes before the batches
        lines = record.lines
        if id(lines) not in by_id:  # records share their layout's dict; a few hold a copy of it
            layout = (tuple(lines), tuple(lines.values()))
            by_id[id(lines)] = numbers.setdefault(layout, len(numbers))
    yield HEADER
    yield _framed((written, tuple(numbers)))
    # Each batch's frames built when it is written: all 13,000 records at once were megabytes.
    pairs = iter(records.items())
    while chunk := list(islice(pairs, BATCH)):
        keys, batch = [], []
        for rel, (key, record) in chunk:
            problem = tuple(record.problem) if record.problem else None
            item = (by_id[id(record.lines)], record.fields, record.body_line, problem)
            keys.append((rel, key))
            batch.append((*item, record.suspect, record.digest))
        try:
            frames = _framed(tuple(keys)) + _framed(tuple(batch))
        except ValueError:  # a value marshal cannot hold (a type YAML gave that it does not
            # know; a nesting too deep): the files that hold one are left out, parsed again
            # next time, and the batch too if it still cannot be written
            kept = [(k, item) for k, item in zip(keys, batch, strict=True) if encodable(item)]
            try:
                frames = _framed(tuple(k for k, _ in kept)) + _framed(tuple(i for _, i in kept))
            except ValueError:
                continue
        yield frames
    yield _framed(None)


def encodable(item: Any) -> bool:
    """Whether marshal can write `item` (not a type YAML gave that it does not know, nor a
    nesting too deep)."""
    try:
        marshal.dumps(item, MARSHAL)
    except ValueError:
        return False
    return True


def _copied(
    path: Path, kept: Kept, records: dict[str, tuple[Key, Record]], written: int
) -> Iterator[bytes]:
    """The cache file read before with each file's stat key as it is now, every records frame
    as it was; _Stale when that file is not the one read, or does not list the same files."""
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed below, when the generator ends
    except OSError as exc:
        raise _Stale from exc
    with handle:
        st = os.fstat(handle.fileno())
        if (st.st_mtime_ns, st.st_size, st.st_ino) != kept.stat or len(records) != kept.files:
            raise _Stale
        try:
            if handle.readline() != HEADER:
                raise _Stale
            _, layouts = marshal.loads(_frame(handle, st.st_size))
            yield HEADER
            yield _framed((written, layouts))
            while (keys := marshal.loads(_frame(handle, st.st_size))) is not None:
                now = tuple((rel, records[rel][0]) for rel, _ in keys)
                data = _frame(handle, st.st_size)
                yield _framed(now) + LENGTH.pack(len(data)) + data
            yield _framed(None)
        except (_Broken, EOFError, KeyError, ValueError, TypeError) as exc:
            raise _Stale from exc
