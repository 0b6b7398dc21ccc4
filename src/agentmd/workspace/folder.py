"""The .agents/ folder: find it, index its files (cached by mtime, size and inode), lock it,
and save edits to it."""

from __future__ import annotations

import contextlib
import fcntl
import gc
import json
import os
import time
from collections.abc import Iterator
from functools import cached_property
from operator import attrgetter
from pathlib import Path
from stat import S_ISLNK, S_ISREG
from typing import TYPE_CHECKING, BinaryIO, NamedTuple

from agentmd import AGENTS_DIR, __version__
from agentmd.errors import AgentmdError, LocatedError, Problem
from agentmd.files import cachefile, textfile
from agentmd.workspace.records import TASK_PROMPTS, Handoff, Note, Record, Settings, Task

if TYPE_CHECKING:
    from agentmd.checks.kept import KeptFindings
    from agentmd.files.document import Document
    from agentmd.files.edit import Editor
    from agentmd.handoffs.kept import Kept
    from agentmd.tasks.graph import KeptCounts

# The parser and editor are imported where they are used: a run whose output is remembered
# (memo.py) needs neither, and start-up time is what a commit hook pays on every commit.

CACHE_DIR = ".cache"
INDEX_FILE = "index.json"
LOCK_FILE = "lock"
FOLDERS = {
    "tasks": "tasks",
    "handoffs": "handoffs",
    "decisions": "memory/decisions",
    "gotchas": "memory/gotchas",
    "rules": "rules",
}
# 9: stat keys apart from the records; 8: every file's blob id; 7: lines as a list
CACHE_FORMAT = f"agentmd {__version__} index 9"
REWRITE_AFTER = 32  # files parsed again (or gone) before the index cache is rewritten
RACY_NS = 2_000_000_000


class NotAWorkspace(AgentmdError):
    pass


class Index(NamedTuple):
    plan: Record | None
    groups: dict[str, list[Record]]  # folder name -> records, sorted by path

    @property
    def problems(self) -> list[Problem]:
        records = [self.plan] if self.plan else []
        for group in self.groups.values():
            records.extend(group)
        return [r.problem for r in records if r and r.problem is not None]


class Workspace:
    def __init__(self, root: Path):
        self.root = root  # the repository root: the folder that holds .agents/
        self.agents = root / AGENTS_DIR
        # What this process last read of each file, for the next `refresh` (see load_index).
        self._known: dict[str, Record] = {}
        self._known_entries: list[Entry] = []  # the scan those records were read at: stat keys
        self._known_at = 0
        self._unsaved = 0  # files parsed since the index cache was last written
        self._tasks_built: dict[str, Task] = {}  # record path -> the Task last built from it
        self._handoffs_built: dict[str, Handoff] = {}  # the same for handoffs
        self._latest_built: tuple[list[Handoff], dict[str, Handoff]] | None = None
        # checks.check_workspace's findings per task file, for a process that checks again
        self.task_findings: KeptFindings | None = None
        # checks.cycles_pass's last search: each task's dependencies, and the cycles they make
        self.cycles_found: tuple[dict[str, tuple[str, ...]], list[list[str]]] | None = None
        self._kept_documents: dict[str, tuple[Record, Document]] = {}  # see read_kept
        self._unblocks: KeptCounts | None = None  # see `unblocks`
        # checks.handoffs_pass's findings per handoff, kept by a process that checks again
        # (the loop, the board: `keep_findings`); a one-shot check keeps nothing
        self.handoffs_kept: Kept | None = None

    @classmethod
    def find(cls, start: Path) -> Workspace:
        """The nearest folder at or above `start` that holds .agents/ (as git finds .git)."""
        start = start.resolve()
        for folder in (start, *start.parents):
            if (folder / AGENTS_DIR).is_dir():
                return cls(folder)
        raise NotAWorkspace(
            f"no {AGENTS_DIR}/ folder in {start} or above it", "run 'agentmd init' to create one"
        )

    def keep_findings(self) -> None:
        """This process checks again and again: keep each handoff's findings between checks
        until what they follow from changes (handoffs/kept.py)."""
        if self.handoffs_kept is None:
            from agentmd.handoffs.kept import Kept

            self.handoffs_kept = Kept()

    def display(self, rel: str) -> str:
        return f"{AGENTS_DIR}/{rel}"

    # -- reading -----------------------------------------------------------------------------

    @cached_property
    def scanned(self) -> list[Entry]:
        return scan(self)

    @cached_property
    def index(self) -> Index:
        with _no_gc():
            return load_index(self)

    def refresh(self) -> None:
        for name in (
            "scanned",
            "index",
            "settings",
            "tasks",
            "unblocked",
            "sizes",
            "handoffs",
            "latest_handoffs",
            "decisions",
            "gotchas",
            "rules",
        ):
            self.__dict__.pop(name, None)

    @cached_property
    def settings(self) -> Settings:
        plan = self.index.plan
        return Settings.from_fields(plan.fields if plan and not plan.problem else {})

    @cached_property
    def tasks(self) -> dict[str, Task]:
        records = self.index.groups["tasks"]
        # An unchanged file hands back the same record (load_index), so its Task is the one
        # built before: a refresh after one change builds one Task, not all of them.
        before = self._tasks_built
        with _no_gc():
            built: dict[str, Task] = {}
            shared: dict[tuple, tuple] = {}
            for r in records:
                task = before.get(r.path)
                if task is None or task.record is not r:
                    task = Task.from_record(r, shared)
                built[r.path] = task
            self._tasks_built = built
            return {task.id: task for task in built.values()}

    @cached_property
    def sizes(self) -> dict[str, int]:
        """Each scanned file's size in bytes, by its path under .agents/."""
        return {entry.rel: entry.key[1] for entry in self.scanned if entry.key}

    @property
    def unblocks(self) -> KeptCounts:
        """Each task's unblock count and the tasks waiting on it, kept for a process that
        ranks again (the graph module is imported here: a remembered run never needs it)."""
        if self._unblocks is None:
            from agentmd.tasks.graph import KeptCounts

            self._unblocks = KeptCounts()
        return self._unblocks

    @cached_property
    def unblocked(self) -> list[Task]:
        """The todo tasks nothing blocks (graph.unblocked), worked out once per read."""
        from agentmd.tasks.graph import unblocked

        return unblocked(self.tasks)

    @cached_property
    def handoffs(self) -> list[Handoff]:
        before = self._handoffs_built  # as `tasks`: an unchanged file's Handoff is kept
        built: dict[str, Handoff] = {}
        for r in self.index.groups["handoffs"]:
            if not r.problem:
                handoff = before.get(r.path)
                if handoff is None or handoff.record is not r:
                    handoff = Handoff.from_record(r)
                built[r.path] = handoff
        self._handoffs_built = built
        return list(built.values())

    @cached_property
    def latest_handoffs(self) -> dict[str, Handoff]:
        """Each task's latest handoff (by file name: see handoff.order_key)."""
        from agentmd.handoffs.latest import latest_by_task

        handoffs = self.handoffs
        if self._latest_built is None or self._latest_built[0] != handoffs:
            self._latest_built = (handoffs, latest_by_task(handoffs))
        return self._latest_built[1]

    @cached_property
    def decisions(self) -> list[Note]:
        return [
            Note.from_record("decision", r) for r in self.index.groups["decisions"] if not r.problem
        ]

    @cached_property
    def gotchas(self) -> list[Note]:
        return [
            Note.from_record("gotcha", r) for r in self.index.groups["gotchas"] if not r.problem
        ]

    @cached_property
    def rules(self) -> list[Note]:
        return [Note.from_record("rule", r) for r in self.index.groups["rules"] if not r.problem]

    @property
    def problems(self) -> list[Problem]:
        return self.index.problems

    def read(self, rel: str) -> Document:
        """A file under .agents/, read now and whole (for its body or for an edit)."""
        from agentmd.files import document

        return document.read(self.agents / rel, self.display(rel))

    def read_kept(self, rel: str) -> Document:
        """As `read`, for what is only read (a prompt's parts), kept while the index holds the
        same record for the file: a process that compiles many prompts (the loop) parses each
        unchanged file once. Never edit what it returns."""
        self.index  # noqa: B018 - the records are current
        known = self._known.get(rel)
        hit = self._kept_documents.get(rel)
        if known is not None and hit is not None and hit[0] is known:
            return hit[1]
        doc = self.read(rel)
        if known is not None:
            self._kept_documents[rel] = (known, doc)
        return doc

    def task(self, task_id: str) -> Task:
        check_id(task_id)
        task = self.tasks.get(task_id)
        if task is None:
            raise AgentmdError(
                f"no task '{task_id}' in {self.display('tasks/')}",
                "'agentmd list' shows the tasks there are",
            )
        return task

    def readable_task(self, task_id: str) -> Task:
        """The task a user named, or its file's located problem when that file cannot be read:
        a task whose fields are unknown is neither acted on nor shown as a todo."""
        task = self.task(task_id)
        if task.broken and task.record.problem is not None:
            raise LocatedError(task.record.problem)
        return task

    # -- writing -----------------------------------------------------------------------------

    def edit(self, rel: str) -> Editor:
        from agentmd.files.edit import Editor

        doc = self.read(rel)
        if doc.fm is None:
            raise LocatedError(
                Problem(doc.display, 1, 1, "frontmatter-missing", "has no front matter to edit")
            )
        return Editor(doc.text, doc.display)

    def save(self, rel: str, text: str) -> None:
        """Write a file under .agents/ atomically. A symlink (tasks/x.md -> ../docs/x-task.md) is
        written through: its target inside the repository is what changes, the link stays; a
        link that leads outside the repository is refused, before anything is written."""
        path = self.agents / rel
        if path.is_symlink():
            target = path.resolve()
            if not target.is_relative_to(self.root.resolve()):
                raise AgentmdError(
                    f"{self.display(rel)} is a symlink to {target}, outside the repository",
                    "agentmd edits files of this repository only: replace the link with the file",
                )
            path = target
        textfile.atomic_write(path, text)

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """An exclusive lock on the workspace; the kernel drops it when its process dies."""
        folder = self.agents / CACHE_DIR
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)


@contextlib.contextmanager
def _no_gc() -> Iterator[None]:
    """Building 10,000 records makes no cycles; the cyclic collector would only walk them, while
    they are built and again in the next full collection, so they are frozen out of its sight
    (reference counting still frees them)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def check_id(task_id: str) -> str:
    """A task id is a file stem: no path separators, no leading dot, nothing hostile."""
    if (
        not task_id
        or task_id != task_id.strip()
        or any(ch in task_id for ch in "/\\\0:")
        or task_id.startswith(".")
        or len(task_id) > 200
    ):
        raise AgentmdError(
            f"'{task_id}' is not a valid task id",
            "ids are file names: letters, digits, '-', '_' and '.', not starting with '.'",
        )
    return task_id


# -- the index -------------------------------------------------------------------------------


class Entry(NamedTuple):
    """One file found under .agents/: its stat key, or the problem that stops reading it."""

    rel: str  # its path is the .agents/ folder's, '/', rel: not kept (13,000 paths are a MB)
    key: tuple[int, int, int] | None  # mtime_ns, size, inode
    problem: Record | None


def scan(ws: Workspace) -> list[Entry]:
    """Every file the index reads, with its stat key; cheap (no file is opened)."""
    entries = []
    plan = ws.agents / "plan.md"
    try:
        st = plan.stat()
        if not S_ISREG(st.st_mode):
            entries.append(
                Entry(
                    "plan.md",
                    None,
                    _broken(ws, "plan.md", "not-a-file", textfile.not_a_file(st.st_mode)),
                )
            )
        else:
            entries.append(Entry("plan.md", (st.st_mtime_ns, st.st_size, st.st_ino), None))
    except FileNotFoundError:
        pass
    except OSError as exc:
        entries.append(
            Entry(
                "plan.md",
                None,
                _broken(ws, "plan.md", "unreadable", exc.strerror or str(exc)),
            )
        )
    for folder in FOLDERS.values():
        entries.extend(_scan(ws, folder))
    return entries


def signature(entries: list[Entry]) -> str:
    """A digest of every file's name and stat key: equal digests, same files (see memo.py)."""
    from itertools import starmap
    from struct import Struct
    from struct import error as StructError

    names = "\0".join([e.rel if e.key else f"{e.rel}!{e.problem.problem.code}" for e in entries])  # type: ignore[union-attr]
    keys = [e.key or (0, 0, 0) for e in entries]
    try:  # mtime, size and inode of each, packed in C: a 13,000-file plan in a millisecond
        stamps = b"".join(starmap(Struct("qqQ").pack, keys))
    except StructError:  # an mtime beyond the year 2262
        stamps = repr(keys).encode()
    digest = _blake2b(names.encode("utf-8", "surrogateescape"), digest_size=20)
    digest.update(stamps)
    return digest.hexdigest()


def _blake2b(data: bytes, digest_size: int):
    """BLAKE2b from CPython's own module (hashlib would load OpenSSL): in C, 4 times as fast
    as its SHA-1 on the 700 KB a 13,000-file scan hashes."""
    try:
        from _blake2 import blake2b
    except ImportError:
        from hashlib import blake2b
    return blake2b(data, digest_size=digest_size)


def newest_mtime(entries: list[Entry]) -> int:
    return max((e.key[0] for e in entries if e.key), default=0)


def load_index(ws: Workspace) -> Index:
    """Every file's record: from this process's last reading of an unchanged file, else from the
    cache in .agents/.cache/, else parsed now."""
    cache_path = ws.agents / CACHE_DIR / INDEX_FILE
    # As git's racy-clean rule: a file changed in the same second as it was last read may have
    # changed again without its mtime moving; such files are parsed again.
    known, known_before = ws._known, ws._known_at - RACY_NS
    # Each file's stat key when last read, from that run's scan (no pair kept per file)
    known_keys = {e.rel: e.key for e in ws._known_entries} if known else {}
    cached, written, kept_records = _read_cache(cache_path) if not known else ({}, 0, None)
    cached_before = written - RACY_NS
    had_cache = bool(cached)
    # The cache's records, as written, are written again when every record is one of them and
    # only stat keys moved (a checkout, a touch): 10,000 records are not encoded a second time.
    reuse = kept_records is not None
    started = time.time_ns()
    records: dict[str, Record] = {}
    parsed = 0
    plan: Record | None = None
    groups: dict[str, list[Record]] = {name: [] for name in FOLDERS}
    group_of = {folder: name for name, folder in FOLDERS.items()}
    # Files written from one template say on which line each field stands alike: their records
    # share one `lines` dict (10,000 copies of the same dict are megabytes).
    layouts: dict[tuple, dict[str, int]] = {}
    agents = f"{ws.agents}/"
    for entry in ws.scanned:
        if entry.problem is not None:
            record = entry.problem
        else:
            key = entry.key
            assert key is not None  # scan gives every entry a stat key or a problem
            mine = known.get(entry.rel)
            # Taken out of the cache as it is read: each entry's lists go at once, not at the end.
            hit = cached.pop(entry.rel, None) if mine is None else None
            if mine is not None and known_keys.get(entry.rel) == key and key[0] < known_before:
                record = mine
            else:
                kept = _from_cache(entry.rel, hit, layouts) if hit is not None else None
                if (
                    kept is not None
                    and hit is not None
                    and hit[0] == list(key)
                    and (key[0] < cached_before)
                ):
                    record = kept
                else:
                    # The stat key moved (a checkout, a touch, a copy) or is racy: the file is
                    # read, and parsed only if its bytes are not the ones last parsed (as git
                    # compares content when the stat data differs).
                    same = mine if mine is not None else kept
                    record = _parse_record(ws, entry.rel, agents + entry.rel, layouts, same, key[1])
                    parsed += 1
                    reuse = reuse and kept is not None and record is kept
            records[entry.rel] = record
        if entry.rel == "plan.md":
            plan = record
        else:
            groups[group_of[entry.rel.rsplit("/", 1)[0]]].append(record)
    for group in groups.values():
        group.sort(key=_path_of)
    # Rewriting the whole cache for a few changed files costs more than parsing them again
    # next time (10,000 entries take tens of milliseconds to write; a file, tens of microseconds).
    ws._unsaved += parsed + (len(known.keys() - records.keys()) if known else len(cached))
    if ws._unsaved > max(REWRITE_AFTER, len(records) // 64) or (
        ws._unsaved and not known and not had_cache
    ):
        keyed = {e.rel: (e.key, records[e.rel]) for e in ws.scanned if e.key is not None}
        as_read = kept_records is not None and reuse and not cached
        as_read = as_read and len(records) == kept_records.files  # type: ignore[union-attr]
        _write_cache(cache_path, keyed, started, kept_records if as_read else None)
        ws._unsaved = 0
    ws._known, ws._known_entries, ws._known_at = records, ws.scanned, started
    return Index(plan, groups)


_path_of = attrgetter("path")  # the sort key of 13,000 records, called in C


def _scan(ws: Workspace, folder: str) -> list[Entry]:
    base = ws.agents / folder
    try:
        fd = os.open(base, os.O_RDONLY | os.O_DIRECTORY)
    except FileNotFoundError:
        return []
    except NotADirectoryError:
        return [
            Entry(
                folder, None, _broken(ws, folder, "not-a-folder", "should be a folder")
            )
        ]
    except OSError as exc:
        return [
            Entry(
                folder, None, _broken(ws, folder, "unreadable", exc.strerror or str(exc))
            )
        ]
    try:
        return _scan_open(ws, folder, str(base), fd)
    except OSError as exc:
        return [
            Entry(
                folder, None, _broken(ws, folder, "unreadable", exc.strerror or str(exc))
            )
        ]
    finally:
        os.close(fd)


def _scan_open(ws: Workspace, folder: str, base: str, fd: int) -> list[Entry]:
    """The folder's files, each stat'ed by name relative to the open folder (the kernel walks
    no path) in one tight loop: the scan of 13,000 files is most of what a run whose output is
    remembered costs."""
    names = [name for name in os.listdir(fd) if name[-3:] == ".md" and name[0] != "."]
    prefix = folder + "/"
    lstat = os.lstat
    make = tuple.__new__  # Entry's own constructor is a Python call; 13,000 of them show
    try:  # each stat result dropped as soon as read: 13,000 of them at once are megabytes
        found = [
            make(
                Entry,
                (prefix + name, (st.st_mtime_ns, st.st_size, st.st_ino), None),
            )
            for name in names
            if S_ISREG((st := lstat(name, dir_fd=fd)).st_mode)
        ]
    except OSError:  # a file went between the listing and its stat
        found = []
    if len(found) < len(names):  # symlinks, folders, pipes, files gone: each looked at closely
        return [_odd_entry(ws, prefix + name, f"{base}/{name}", fd, None) for name in names]
    return found


def _odd_entry(ws: Workspace, rel: str, path: str, fd: int, st: os.stat_result | None) -> Entry:
    """The entry of a name that may not be a plain file: a symlink is followed only within the
    repository; anything but a regular file is a problem."""
    try:
        if st is None:
            st = os.lstat(path.rsplit("/", 1)[1], dir_fd=fd)
        if S_ISLNK(st.st_mode):
            root = str(ws.root.resolve())
            target = os.path.realpath(path)
            if not (target == root or target.startswith(root + os.sep)):
                return Entry(
                    rel,
                    None,
                    _broken(
                        ws,
                        rel,
                        "symlink-outside",
                        "is a symlink that points outside the repository",
                    ),
                )
            st = os.stat(path.rsplit("/", 1)[1], dir_fd=fd)
    except OSError as exc:
        return Entry(rel, None, _broken(ws, rel, "unreadable", exc.strerror or str(exc)))
    if not S_ISREG(st.st_mode):
        return Entry(
            rel, None, _broken(ws, rel, "not-a-file", textfile.not_a_file(st.st_mode))
        )
    return Entry(rel, (st.st_mtime_ns, st.st_size, st.st_ino), None)


def _broken(ws: Workspace, rel: str, code: str, message: str, hint: str = "") -> Record:
    return Record(rel, {}, {}, 1, Problem(ws.display(rel), 1, 1, code, message, hint))


def read_record(ws: Workspace, rel: str) -> Record:
    """One file's record, read and parsed now (not from any cache)."""
    return _parse_record(ws, rel, str(ws.agents / rel))


def _parse_record(
    ws: Workspace,
    rel: str,
    path: str,
    layouts: dict[tuple, dict[str, int]] | None = None,
    same: Record | None = None,
    size: int | None = None,
) -> Record:
    """The file's record, parsed now; `same` itself when the file's blob id is `same`'s.
    `size`: what the scan's stat said, to read the file without a stat of its own."""
    display = ws.display(rel)
    digest = ""
    try:
        if size is None:
            data = textfile.read_bytes(path, display)
        else:
            data = textfile.read_sized(path, display, size)
        digest = textfile.blob_id(data)
        if same is not None and same.digest == digest:
            return same
        text = textfile.decode(data, display)
    except LocatedError as exc:  # with the blob id of bytes that are not UTF-8: same bytes, same
        return Record(rel, {}, {}, 1, exc.problem, True, digest)  # problem, after a touch too
    # Imported here, past the blob id: 10,000 files whose mtime alone moved ask nothing of it.
    import agentmd.files.frontmatter as frontmatter

    # What `check` reads again: conflict markers, or a task still holding a template prompt.
    suspect = (
        "<<<<<<<" in text
        or ">>>>>>>" in text
        or (rel.startswith("tasks/") and any(prompt in text for prompt in TASK_PROMPTS))
    )
    try:
        fm = frontmatter.split(text, display)
        if fm is None:
            return Record(rel, {}, {}, 1, None, suspect, digest)
        fields, lines, starts = frontmatter.load_counted(fm, display)
    except LocatedError as exc:
        return Record(rel, {}, {}, 1, exc.problem, suspect, digest)
    if starts is None:
        suspect = suspect or _may_repeat_a_key(fm.raw, len(lines))
    else:  # the tiled path counted the lines that start a key as it read them
        suspect = suspect or starts > len(lines)
    if layouts is not None:
        lines = layouts.setdefault((tuple(lines), tuple(lines.values())), lines)
    return Record(rel, fields, lines, fm.body_line, None, suspect, digest)


def _may_repeat_a_key(raw: str, keys: int) -> bool:
    """More lines that start a top-level key than distinct keys: worth a closer look."""
    starts = sum(1 for line in raw.split("\n") if line[:1] not in ("", " ", "\t", "-", "#", "\r"))
    return starts > keys


def _from_cache(rel: str, hit: list, layouts: dict[tuple, dict[str, int]]) -> Record | None:
    try:
        return _record_from_json(rel, hit[1], layouts)
    except (TypeError, ValueError, AttributeError, IndexError):  # a cache gone wrong: read it
        return None


def _record_to_json(record: Record) -> list:
    problem = record.problem.as_dict() if record.problem else None
    lines: dict | list = record.lines
    if list(record.lines) == list(record.fields):  # the usual case: one line number per field
        lines = list(record.lines.values())
    return [record.fields, lines, record.body_line, problem, record.suspect, record.digest]


def _record_from_json(rel: str, data: list, layouts: dict[tuple, dict[str, int]]) -> Record:
    fields, lines, body_line, problem, suspect, digest = data
    if type(lines) is list:
        keys, numbers = tuple(fields), tuple(lines)
    else:
        keys, numbers = tuple(lines), tuple(lines.values())
    found = layouts.get((keys, numbers))
    if found is None:
        found = layouts[keys, numbers] = dict(zip(keys, numbers, strict=True))
    return Record(
        rel, fields, found, body_line, Problem(**problem) if problem else None, suspect, digest
    )


class KeptRecords(NamedTuple):
    """Where the records of the cache file just read stand in it, to be copied as they are."""

    stat: tuple[int, int, int]  # the cache file's mtime, size and inode when it was read
    offset: int  # where its records' object starts (the file is ASCII: bytes are characters)
    files: int  # how many records it holds


# The cache file is one JSON document, its records last, in this order:
# {"format":F,"written":N,"keys":{rel:[mtime,size,inode],...},"files":{rel:record,...}}
_CACHE_PARTS = ('{"format":', ',"written":', ',"keys":', ',"files":')


def _read_cache(path: Path) -> tuple[dict[str, list], int, KeptRecords | None]:
    """Each cached file's [stat key, record], when the cache is this version's."""
    try:
        with open(path, encoding="ascii") as handle:
            st = os.fstat(handle.fileno())
            text = handle.read()
    except (OSError, ValueError):
        return {}, 0, None
    values, offset = _cache_parts(text)
    del text  # the objects are built: the text's megabytes go
    if values is None:
        return {}, 0, None
    form, written, keys, files = values
    if form != CACHE_FORMAT or type(written) is not int:
        return {}, 0, None
    if type(keys) is not dict or type(files) is not dict:
        return {}, 0, None
    found = {rel: [key, files[rel]] for rel, key in keys.items() if rel in files}
    kept = KeptRecords((st.st_mtime_ns, st.st_size, st.st_ino), offset, len(files))
    return found, written, kept if len(found) == len(files) == len(keys) else None


def _cache_parts(text: str) -> tuple[list | None, int]:
    """The four values of the cache document and where its records start; None for a file
    of any other shape (an older version's, a broken one)."""
    decode = _DECODER.raw_decode
    values: list = []
    at = records = 0
    try:
        for part in _CACHE_PARTS:
            if not text.startswith(part, at):
                return None, 0
            at += len(part)
            records = at
            value, at = decode(text, at)
            values.append(value)
    except ValueError:
        return None, 0
    return (values, records) if text[at:] == "}" else (None, 0)


_DECODER = json.JSONDecoder()


def _write_cache(
    path: Path,
    records: dict[str, tuple[tuple, Record]],
    written: int,
    kept: KeptRecords | None = None,
) -> None:
    """Best effort: a cache that cannot be written only costs speed next time. Encoded a few
    hundred records at a time and written as it goes: the whole of it as one string would be
    as large again as the records of a 10,000-task plan. `kept`: the records are the ones of
    the cache file read before, copied from it as they are (only stat keys moved)."""
    encode = json.JSONEncoder(separators=(",", ":")).encode
    items = list(records.items())
    head = f"{_CACHE_PARTS[0]}{encode(CACHE_FORMAT)}{_CACHE_PARTS[1]}{written}{_CACHE_PARTS[2]}"
    copied = _kept_records(path, kept) if kept is not None else None

    def chunks() -> Iterator[str]:
        yield head + "{"
        comma = ""
        for start in range(0, len(items), 1024):
            keys = {rel: key for rel, (key, _) in items[start : start + 1024]}
            piece = encode(keys)[1:-1]
            if piece:
                yield comma + piece
                comma = ","
        yield "}" + _CACHE_PARTS[3]
        if copied is not None:
            with copied:  # a megabyte at a time: the records' text is never held whole
                while block := copied.read(1 << 20):
                    yield block.decode("ascii")
            return
        yield "{"
        comma = ""
        for start in range(0, len(items), 512):
            batch = {rel: _record_to_json(r) for rel, (_, r) in items[start : start + 512]}
            try:
                piece = encode(batch)[1:-1]
            except (TypeError, ValueError):  # a value JSON cannot hold: that file is parsed again
                piece = ",".join(_encodable(encode, batch))
            if piece:
                yield comma + piece
                comma = ","
        yield "}}"

    cachefile.write_chunks(path, chunks())


def _kept_records(path: Path, kept: KeptRecords) -> BinaryIO | None:
    """The cache file read before, open where its records start (they run to its end, closing
    brace included); None when it is no longer that file (another process wrote it since)."""
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed by the writer that reads it
    except OSError:
        return None
    try:
        st = os.fstat(handle.fileno())
        if (st.st_mtime_ns, st.st_size, st.st_ino) == kept.stat:
            handle.seek(kept.offset)
            return handle
    except OSError:
        pass
    handle.close()
    return None


def _encodable(encode, batch: dict[str, list]) -> Iterator[str]:
    for rel, value in batch.items():
        try:
            yield encode({rel: value})[1:-1]
        except (TypeError, ValueError):
            continue
