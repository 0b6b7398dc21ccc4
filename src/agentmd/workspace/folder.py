"""The .agents/ folder: find it, index its files (cached by mtime, size and inode), lock it,
and save edits to it."""

from __future__ import annotations

import contextlib
import fcntl
import gc
import os
import time
from collections.abc import Callable, Iterator, Sequence
from functools import cached_property, partial
from operator import attrgetter
from pathlib import Path
from stat import S_ISLNK, S_ISREG
from struct import error as StructError
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from agentmd import AGENTS_DIR
from agentmd.errors import AgentmdError, LocatedError, Problem
from agentmd.files import textfile
from agentmd.workspace import forked, index_cache
from agentmd.workspace.records import TASK_PROMPTS, Handoff, Note, Record, Settings, Task
from agentmd.workspace.statkey import NO_STAT, STAT, older_than, stat_key, stat_parts

if TYPE_CHECKING:
    from agentmd.checks.kept import KeptFindings
    from agentmd.files.document import Document
    from agentmd.files.edit import Editor
    from agentmd.handoffs.kept import Kept
    from agentmd.tasks.graph import Candidate, KeptCounts

# The parser and editor are imported where they are used: a run whose output is remembered
# (memo.py) needs neither, and start-up time is what a commit hook pays on every commit.

CACHE_DIR = ".cache"
LOCK_FILE = "lock"
FOLDERS = {
    "tasks": "tasks",
    "handoffs": "handoffs",
    "decisions": "memory/decisions",
    "gotchas": "memory/gotchas",
    "rules": "rules",
}
CACHE_FORMAT = index_cache.FORMAT  # the memo files say which index they were keyed beside
SIZES_AFTER = 64  # files whose size is asked before every file's size is worked out (size_of)
REWRITE_AFTER = 32  # files parsed again (or gone) before the index cache is rewritten
RACY_NS = 2_000_000_000
# Files a process stats, at least, in a forked scan: a stat is microseconds, and a fork
# pays for itself past thousands of them.
SCAN_PER_PROCESS = 4000


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
        self._tasks_built: dict[str, Task] = {}  # the tasks last built (`tasks`), by id
        self._handoffs_built: dict[str, Handoff] = {}  # the same for handoffs
        self._latest_built: tuple[list[Handoff], dict[str, Handoff]] | None = None
        # checks.check_workspace's findings per task file, for a process that checks again
        self.task_findings: KeptFindings | None = None
        # checks.cycles_pass's last search: each task's dependencies, and the cycles they make
        self.cycles_found: tuple[dict[str, Sequence[str]], list[list[str]]] | None = None
        self._kept_documents: dict[str, tuple[Record, Document]] = {}  # see read_kept
        self._unblocks: KeptCounts | None = None  # see `unblocks`
        self._sizes_asked = 0  # see `size_of`
        # checks.handoffs_pass's findings per handoff, kept by a process that checks again
        # (the loop, the board: `keep_findings`); a one-shot check keeps nothing
        self.handoffs_kept: Kept | None = None
        # What the command needs once the files are read (its imports), done while forked
        # processes read them: the parent would otherwise do it after, the other cores idle.
        self.while_reading: Callable[[], object] | None = None
        # What the command does with the tasks (ranks them), done on a cold read while forked
        # processes read the other files: the index then holds plan.md and the tasks alone.
        self.once_tasks_read: Callable[[], object] | None = None
        # The index cache (of thousands of records) written by a forked process while this one
        # goes on (by the one that read the last files, on a cold read that ranks while they
        # are read): a command, which waits for it at its end, says so.
        self.write_behind = False

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
        try:
            with _no_gc():
                return load_index(self)
        except BaseException:  # what was ranked ahead of a read that failed is of no read
            self._forget_ranking()
            raise

    def _forget_ranking(self) -> None:
        """Drop the tasks, the unblocked ones and their counts (worked out ahead, on a cold
        read's tasks: see `once_tasks_read`), to be worked out again when asked."""
        for name in ("tasks", "unblocked", "ranked"):
            self.__dict__.pop(name, None)
        self._unblocks = None

    def refresh(self) -> None:
        for name in (
            "scanned",
            "index",
            "settings",
            "tasks",
            "unblocked",
            "ranked",
            "host_words",
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
        # A task's id is its file's stem: one dict by id is what is kept (not one by path too).
        before = self._tasks_built
        with _no_gc():
            # A task's id is the very string its dependents name it by (10,000 ids of their own
            # are half a megabyte).
            named = {
                d: d
                for r in records
                if type(ds := r.fields.get("depends_on")) is list
                for d in ds
                if type(d) is str  # not an item YAML made a list or a mapping
            }
            built: dict[str, Task] = {}
            make = Task.from_record
            for r in records:
                path = r.path  # its stem, asked once for the task kept and the one built:
                stem = path[6:-3] if path[-3:] == ".md" and path[:6] == "tasks/" else r.stem
                task = before.get(stem) if before else None
                if task is None or task.record is not r:
                    task = make(r, named, stem)
                built[task.id] = task
            self._tasks_built = built
            return built

    @cached_property
    def sizes(self) -> dict[str, int]:
        """Each scanned file's size in bytes, by its path under .agents/."""
        # Files of one template have sizes alike: one int object of each size, not one per
        # file (13,000 of them are 0.4 MB).
        ints: dict[int, int] = {}
        sizes: dict[str, int] = {}
        for entry in self.scanned:
            if entry.key:
                size = stat_parts(entry.key)[1]
                sizes[entry.rel] = ints.setdefault(size, size)
        return sizes

    def size_of(self, rel: str, default: int = 0) -> int:
        """`sizes.get(rel, default)`. The first SIZES_AFTER files asked of are each stat'ed
        instead (a plain file: anything else is looked up in `sizes`), so that a run that asks
        of a prompt's few parts (`next`) does not build the sizes of 13,000 files (15 ms and
        0.6 MB at its peak); a run that asks of thousands (`check`) builds them once."""
        if "sizes" not in self.__dict__ and self._sizes_asked < SIZES_AFTER:
            self._sizes_asked += 1
            self.index  # noqa: B018 - the records are current
            record = self._known.get(rel)
            if record is None:
                return default
            try:
                st = os.lstat(self.agents / rel)
            except OSError:
                return default
            unread = record.problem is not None and record.problem.code == "unreadable"
            if S_ISREG(st.st_mode) and not unread:
                return st.st_size
        return self.sizes.get(rel, default)

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
    def ranked(self) -> list[Candidate]:
        """The ready tasks in `next` order (graph.rank), by the kept unblock counts: worked out
        once per read. Without the search for cycles: a task on one is never unblocked."""
        from agentmd.tasks.graph import rank

        return rank(self.unblocked, self.unblocks.of(self.tasks))

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

    def record_at(self, rel: str) -> Record | None:
        """The index's record of the file at `rel` (relative to .agents/), if it has one."""
        self.index  # noqa: B018 - the records are current
        return self._known.get(rel)

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
    key: bytes | None  # mtime_ns, size, inode, packed (`stat_key`; read with `stat_parts`)
    problem: Record | None


def scan(ws: Workspace) -> list[Entry]:
    """Every file the index reads, with its stat key; cheap (no file is opened)."""
    entries = _plan_entry(ws)
    # Each folder listed, then every name stat'ed: in forked processes when there are many
    # (13,000 stats are most of what a run whose output is remembered costs).
    listings: list[_Listing | list[Entry]] = []
    try:
        listings.extend(_listing(ws, folder) for folder in FOLDERS.values())
        items = [(it.fd, name) for it in listings if type(it) is _Listing for name in it.names]
        count = forked.processes(len(items), SCAN_PER_PROCESS)
        keys = forked.map_forked(items, _stat_keys, _as_sent, _keys_received, count)
        start = 0
        for listing in listings:
            if type(listing) is list:
                entries.extend(listing)
                continue
            assert type(listing) is _Listing
            end = start + len(listing.names)
            entries.extend(_entries(ws, listing, keys[start:end]))
            start = end
    finally:
        _close(listings)
    return entries


def _plan_entry(ws: Workspace) -> list[Entry]:
    """plan.md's entry (none when there is no plan.md): the scan's first."""
    plan = ws.agents / "plan.md"
    try:
        st = plan.stat()
    except FileNotFoundError:
        return []
    except OSError as exc:
        problem = _broken(ws, "plan.md", "unreadable", exc.strerror or str(exc))
        return [Entry("plan.md", None, problem)]
    if not S_ISREG(st.st_mode):
        problem = _broken(ws, "plan.md", "not-a-file", textfile.not_a_file(st.st_mode))
        return [Entry("plan.md", None, problem)]
    return [Entry("plan.md", stat_key(st), None)]


def _close(listings: list[_Listing | list[Entry]]) -> None:
    for listing in listings:
        if type(listing) is _Listing:
            os.close(listing.fd)


def signature(entries: list[Entry]) -> str:
    """A digest of every file's name and stat key: equal digests, same files (see memo.py)."""
    # The names joined by NULs, then the stat keys, hashed 1,024 files at a time: the two of
    # 13,000 files whole are megabytes held only to be hashed (the peak of a cold `next`).
    digest = _blake2b(b"", digest_size=20)
    step = 1024
    for start in range(0, len(entries), step):
        chunk = entries[start : start + step]
        names = "\0".join([e.rel if e.key else f"{e.rel}!{e.problem.problem.code}" for e in chunk])  # type: ignore[union-attr]
        digest.update(("\0" + names if start else names).encode("utf-8", "surrogateescape"))
    for start in range(0, len(entries), step):
        digest.update(b"".join([e.key or NO_STAT for e in entries[start : start + step]]))
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
    # The greatest key is the newest file's (bytes compared in C), when its first byte is
    # below 0x80: no key is then one of text (\xff\xff...) or of an mtime before 1970 (its
    # sign bit set), either of which sorts greater; else each key is read.
    newest = max((e.key for e in entries if e.key), default=None)
    if newest is None:
        return 0
    if newest[0] < 0x80:
        return stat_parts(newest)[0]
    return max(stat_parts(e.key)[0] for e in entries if e.key)


def is_cold(ws: Workspace) -> bool:
    """Nothing of the files is known yet: not read by this process, not scanned, not cached."""
    return (
        not ws._known
        and "scanned" not in ws.__dict__
        and "index" not in ws.__dict__
        and not (ws.agents / CACHE_DIR / index_cache.FILE).exists()
    )


def load_index(ws: Workspace) -> Index:
    """Every file's record: from this process's last reading of an unchanged file, else from the
    cache in .agents/.cache/, else parsed now."""
    cache_path = ws.agents / CACHE_DIR / index_cache.FILE
    forked.reap_background()  # a cache written behind by an earlier read, if it is done
    # Files written from one template say on which line each field stands alike: their records
    # share one `lines` dict (10,000 copies of the same dict are megabytes).
    layouts: dict[tuple, dict[str, int]] = {}
    strings: dict[str, str] = {}  # the values read (parsed or from the cache): one copy of each
    if is_cold(ws):
        # Nothing cached and nothing scanned yet (a fresh clone, a deleted .agents/.cache/):
        # every file is parsed, so each is stat'ed as it is opened, where it is parsed.
        read = _read_unscanned(ws, layouts, strings)
    else:
        read = _read_changed(ws, cache_path, layouts, strings)
    records = read.records
    plan: Record | None = None
    groups: dict[str, list[Record]] = {name: [] for name in FOLDERS}
    group_of = {folder: groups[name] for name, folder in FOLDERS.items()}
    for rel, record in records.items():
        if rel == "plan.md":
            plan = record
        else:  # (a file where a folder belongs is that folder's problem: its rel is the folder)
            group = group_of.get(rel[: rel.rfind("/")])
            (group if group is not None else group_of[rel]).append(record)
    strings.clear()  # its table (a megabyte at 10,000 tasks) goes before the cache is written
    for group in groups.values():
        group.sort(key=_path_of)
    # Rewriting the whole cache for a few changed files costs more than parsing them again
    # next time (10,000 entries take tens of milliseconds to write; a file, tens of microseconds).
    ws._unsaved += read.parsed + read.gone
    if read.written_behind:
        ws._unsaved = 0
    elif ws._unsaved > max(REWRITE_AFTER, len(records) // 64) or (
        ws._unsaved and not ws._known and not read.had_cache
    ):
        as_read = read.kept if read.kept and len(records) == read.kept.files else None
        write = partial(_write_cache, cache_path, ws.scanned, records, read.started, as_read)
        big = forked.processes(len(records)) > 1  # as many as a read that forks, and the cores
        if not (ws.write_behind and big and forked.in_background(write)):
            write()
        ws._unsaved = 0
    ws._known, ws._known_entries, ws._known_at = records, ws.scanned, read.started
    return Index(plan, groups)


def _write_cache(
    path: Path,
    entries: list[Entry],
    records: dict[str, Record],
    started: int,
    kept: index_cache.Kept | None,
) -> None:
    """The index cache of `records`, each keyed by its entry's stat key. (Paired up here, in the
    process that writes it: a parent that built 13,000 pairs and let them go once a writer had
    forked would copy each page they touched.)"""
    keyed = {e.rel: (e.key, records[e.rel]) for e in entries if e.key is not None}
    index_cache.write(path, keyed, started, kept)


class _Read(NamedTuple):
    """What a reading of the files found, for `load_index` to index and cache."""

    records: dict[str, Record]  # every file's, in scan order
    parsed: int  # how many files were parsed
    gone: int  # how many records it had (known, or in the cache) are of files gone
    started: int  # when the reading began: a file changed since is racy (RACY_NS)
    had_cache: bool  # the cache file held records
    kept: index_cache.Kept | None = None  # the cache file, when every record is as it held it
    written_behind: bool = False  # the process that read the last files writes the cache


def _read_changed(
    ws: Workspace, cache_path: Path, layouts: dict[tuple, dict[str, int]], strings: dict[str, str]
) -> _Read:
    """The scan's files: a record this process read, or the cache holds, of a file unchanged
    since; every other file read, and parsed unless its bytes are the ones last parsed."""
    # As git's racy-clean rule: a file changed in the same second as it was last read may have
    # changed again without its mtime moving; such files are parsed again.
    known, known_before = ws._known, older_than(ws._known_at - RACY_NS)  # a key bound
    # Each file's stat key when last read, from that run's scan (no pair kept per file)
    known_keys = {e.rel: e.key for e in ws._known_entries} if known else {}
    entries = ws.scanned
    if not known:
        strings.update((e.rel, e.rel) for e in entries)  # the scan's paths first
    cached, written, kept = (
        index_cache.read(cache_path, layouts, strings) if not known else ({}, 0, None)
    )
    cached_before = older_than(written - RACY_NS)
    had_cache = bool(cached)
    # The cache's records, as written, are written again when every record is one of them and
    # only stat keys moved (a checkout, a touch): 10,000 records are not encoded a second time.
    reuse = kept is not None
    started = time.time_ns()
    records: dict[str, Record] = {}
    agents = f"{ws.agents}/"
    # The files to read: each with the record of the bytes last parsed, if any (see below).
    todo: list[tuple[Entry, Record | None]] = []
    for entry in entries:
        if entry.problem is not None:
            records[entry.rel] = entry.problem
            continue
        key = entry.key
        assert key is not None  # scan gives every entry a stat key or a problem
        mine = known.get(entry.rel)
        # Taken out of the cache as it is read: each entry's key goes at once, not at the end.
        hit = cached.pop(entry.rel, None) if mine is None else None
        if mine is not None and known_keys.get(entry.rel) == key and key < known_before:
            records[entry.rel] = mine
        elif hit is not None and hit[0] == key and key < cached_before:
            records[entry.rel] = hit[1]
        else:
            # The stat key moved (a checkout, a touch, a copy) or is racy: the file is read,
            # and parsed only if its bytes are not the ones last parsed (as git compares
            # content when the stat data differs).
            records[entry.rel] = _PENDING  # its place, for the records to stay in scan order
            todo.append((entry, mine if mine is not None else hit[1] if hit else None))
    if todo:

        def parse(share: Sequence[tuple[Entry, Record | None]]) -> list[Record]:
            return [
                _parse_record(ws, e.rel, agents + e.rel, layouts, same, _size(e), strings)
                for e, same in share
            ]

        def decode(share: Sequence[tuple[Entry, Record | None]], values: Any) -> list[Record]:
            if type(values) is not list:
                raise TypeError("not a list")
            sent_layouts: dict[int, dict[str, int]] = {}  # see _decoded
            return [
                parse(((e, same),))[0]  # a value marshal cannot write (a YAML date): here
                if value is forked.UNSENT
                else _decoded(e.rel, same, value, layouts, sent_layouts)
                for (e, same), value in zip(share, values, strict=True)
            ]

        count = forked.processes(len(todo))
        found = forked.map_forked(todo, parse, _encoded, decode, count, ws.while_reading)
        for (entry, same), record in zip(todo, found, strict=True):
            records[entry.rel] = record
            reuse = reuse and record is same  # (`same` from the cache: none is known then)
    gone = len(known.keys() - records.keys()) if known else len(cached)
    as_read = kept if reuse and not cached else None  # no file gone that the cache held
    return _Read(records, len(todo), gone, started, had_cache, as_read)


def _read_unscanned(
    ws: Workspace, layouts: dict[tuple, dict[str, int]], strings: dict[str, str]
) -> _Read:
    """Every file's record, for a workspace not scanned yet: each file is stat'ed once it is
    open (13,000 stats of their own by name were a tenth of a cold run), where it is parsed,
    in forked processes when there are thousands; the scan is what those stats found
    (ws.scanned). A name that is not plainly a regular file is looked at as the scan looks at
    it (`_odd_entry`).

    The tasks are read first, then the other files; while a forked process reads those, the
    parent does `ws.once_tasks_read()` (a command ranks the tasks), the index then holding
    plan.md and the tasks alone; and that process, which then holds every record, writes the
    cache for a command that waits for it (Workspace.write_behind)."""
    started = time.time_ns()
    entries = _plan_entry(ws)
    records = {
        e.rel: e.problem or _parse_record(ws, e.rel, str(ws.agents / e.rel), layouts)
        for e in entries
    }
    parsed = len(records) - sum(1 for e in entries if e.problem)
    listings: list[_Listing | list[Entry]] = []
    try:
        # Each listing's names are the files' paths under .agents/ (the records' own strings),
        # opened from there: no (folder, name) pair is held for each of 13,000 files.
        listings.extend(_listing(ws, folder, as_paths=True) for folder in FOLDERS.values())
        tasks, rest = listings[:1], listings[1:]
        first, later = _paths(tasks, strings), _paths(rest, strings)
        count = forked.processes(len(first) + len(later))

        def tasks_read(found: list[tuple[bytes, Record] | None]) -> None:
            nonlocal parsed
            parsed += _gathered(ws, tasks, found, entries, records, layouts, strings)
            # The values the tasks share are theirs now; the table that found them (megabytes
            # at 10,000 tasks) goes before the tasks are ranked, as do the (key, record) pairs
            # read: the other files share their own.
            strings.clear()
            found.clear()
            if ws.once_tasks_read is None or count < 2:
                return  # in one process the command ranks once every file is read
            group = sorted((r for rel, r in records.items() if rel != "plan.md"), key=_path_of)
            plan = records.get("plan.md")
            ws.__dict__["index"] = Index(plan, {name: [] for name in FOLDERS} | {"tasks": group})
            try:
                _ahead(ws, ws.once_tasks_read)
            finally:  # the whole index is load_index's to answer
                del ws.__dict__["index"]

        then = None
        if ws.write_behind:  # the process that reads the rest writes the cache of them all
            then = partial(_write_read, ws, listings, entries, records, layouts, strings, started)
        odd = _odd(listings)
        found, written = _read_all(ws, first, later, odd, layouts, strings, count, tasks_read, then)
        parsed += _gathered(ws, rest, found, entries, records, layouts, strings)
    finally:
        _close(listings)
    ws.__dict__["scanned"] = entries
    return _Read(records, parsed, 0, started, False, written_behind=written)


def _write_read(
    ws: Workspace,
    listings: list[_Listing | list[Entry]],
    entries: list[Entry],
    records: dict[str, Record],
    layouts: dict[tuple, dict[str, int]],
    strings: dict[str, str],
    started: int,
    tasks: list[tuple[bytes, Record] | None],
    rest: list[tuple[bytes, Record] | None],
) -> None:
    """In the forked process that read the other files and was handed the tasks' records
    (forked.staged): the entries and records of them all, added to plan.md's as they were
    when it forked, and the index cache of them, as `load_index` writes it. (The listings'
    folders are not open in it: a name it could not read is looked at by its path.)"""
    _gathered(ws, listings[:1], tasks, entries, records, layouts, strings, by_path=True)
    strings.clear()
    _gathered(ws, listings[1:], rest, entries, records, layouts, strings, by_path=True)
    _write_cache(ws.agents / CACHE_DIR / index_cache.FILE, entries, records, started, None)


def _paths(listings: list[_Listing | list[Entry]], strings: dict[str, str]) -> list[str]:
    """The listings' paths under .agents/, each the string its record is read with."""
    rels = [rel for it in listings if type(it) is _Listing for rel in it.names]
    strings.update(zip(rels, rels, strict=True))
    return rels


def _odd(listings: list[_Listing | list[Entry]]) -> dict[str, bool]:
    return {rel: link for it in listings if type(it) is _Listing for rel, link in it.odd.items()}


def _ahead(ws: Workspace, then: Callable[[], object]) -> None:
    """`then()` (the command's work on the tasks) while the other files are read; should it
    fail, what it kept is dropped, for the command to meet the failure where it would have."""
    try:
        then()
    except Exception:  # noqa: BLE001 - raised again where the command asks for it
        ws._forget_ranking()


def _gathered(
    ws: Workspace,
    listings: list[_Listing | list[Entry]],
    found: list[tuple[bytes, Record] | None],
    entries: list[Entry],
    records: dict[str, Record],
    layouts: dict[tuple, dict[str, int]],
    strings: dict[str, str],
    by_path: bool = False,
) -> int:
    """The entries and records of what `_read_all` found in `listings`, in their order, added
    to `entries` and `records`; a name it could not read looked at by `_odd_entry` (`by_path`:
    in a process that does not hold the listings' folders open). How many files were parsed."""
    agents = f"{ws.agents}/"
    make = tuple.__new__  # as in _entries
    parsed = at = 0
    for listing in listings:
        if type(listing) is list:  # a folder that is not one, or cannot be read
            entries.extend(listing)
            records.update((e.rel, e.problem) for e in listing)  # type: ignore[misc]
            continue
        assert type(listing) is _Listing
        end = at + len(listing.names)
        mine = found[at:end]
        if None not in mine:  # each file read as it was stat'ed: the usual
            read = cast(list[tuple[bytes, Record]], mine)
            pairs = list(zip(listing.names, read, strict=True))
            entries += [make(Entry, (rel, got[0], None)) for rel, got in pairs]
            records.update([(rel, got[1]) for rel, got in pairs])
            parsed += len(mine)
            at = end
            continue
        for rel, got in zip(listing.names, mine, strict=True):
            if got is not None:
                entries.append(make(Entry, (rel, got[0], None)))
                records[rel] = got[1]
                parsed += 1
                continue
            name = rel[len(listing.folder) + 1 :]
            fd = None if by_path else listing.fd
            entry = _odd_entry(ws, rel, f"{listing.base}/{name}", fd, None)
            entries.append(entry)
            if entry.problem is not None:
                records[rel] = entry.problem
            else:
                records[rel] = _parse_record(
                    ws, rel, agents + rel, layouts, None, _size(entry), strings
                )
                parsed += 1
        at = end
    return parsed


def _read_all(
    ws: Workspace,
    first: list[str],
    later: list[str],
    odd: dict[str, bool],
    layouts: dict[tuple, dict[str, int]],
    strings: dict[str, str],
    count: int,
    between: Callable[[list[tuple[bytes, Record] | None]], object],
    then: Callable[..., object] | None,
) -> tuple[list[tuple[bytes, Record] | None], bool]:
    """`_read_at` for each path, `first` then `later`, in forked processes when there are
    thousands (forked.staged: `between(what the first gave)` in between, `then` left to the
    process that read the later ones); a symlink in `odd` (True) is read there too when it
    points within the repository, anything else in it (a folder, a pipe, a device) is left to
    `_odd_entry`, unopened. What the later paths gave, and whether `then` was left."""
    try:  # O_PATH: the folder needs only to be searchable (a mode 0311 .agents/), not listable
        agents_fd = os.open(ws.agents, _AGENTS_FLAGS)
    except OSError:  # gone since it was listed: each name looked at by `_odd_entry`
        between([None] * len(first))
        return [None] * len(later), False
    root = str(ws.root.resolve()) if any(odd.values()) else ""
    try:

        def read(share: Sequence[str]) -> list[tuple[bytes, Record] | None]:
            if not odd:
                return [_read_at(ws, agents_fd, rel, layouts, strings) for rel in share]
            return [
                _read_at(ws, agents_fd, rel, layouts, strings)
                if rel not in odd
                else _read_link(ws, agents_fd, rel, root, layouts, strings)
                if odd[rel]
                else None
                for rel in share
            ]

        def decode(share: Sequence[str], values: Any) -> list[tuple[bytes, Record] | None]:
            if type(values) is not list:
                raise TypeError("not a list")
            sent_layouts: dict[int, dict[str, int]] = {}  # see _decoded
            return [
                read((rel,))[0]  # a value marshal cannot write (a YAML date): read here
                if value is forked.UNSENT
                else _decoded_read(rel, value, layouts, sent_layouts)
                for rel, value in zip(share, values, strict=True)
            ]

        _, found, left = forked.staged(
            first, later, read, _encoded_read, decode, count, ws.while_reading, between, then
        )
        return found, left
    finally:
        os.close(agents_fd)


_AGENTS_FLAGS = getattr(os, "O_PATH", os.O_RDONLY) | os.O_DIRECTORY | os.O_CLOEXEC
_FOLLOW_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC  # O_NONBLOCK: a FIFO put in its
_READ_FLAGS = _FOLLOW_FLAGS | os.O_NOFOLLOW  # place since it was listed is not waited on


def _read_at(
    ws: Workspace,
    agents_fd: int,
    rel: str,
    layouts: dict[tuple, dict[str, int]],
    strings: dict[str, str],
    flags: int = _READ_FLAGS,
) -> tuple[bytes, Record] | None:
    """The stat key and record of the file at `rel` in the open .agents/ folder, stat'ed once
    open; None when it is not plainly a regular file that reads back at the size its stat gave
    (a symlink, a folder, a pipe, a file gone, growing or too large): `_odd_entry` looks."""
    try:
        file = os.open(rel, flags, dir_fd=agents_fd)
    except OSError:
        return None
    try:
        st = os.fstat(file)
        size = st.st_size
        if not S_ISREG(st.st_mode) or size > textfile.MAX_BYTES:
            return None
        data = os.read(file, size + 1)
        key = STAT.pack(st.st_mtime_ns, size, st.st_ino)
    except (OSError, StructError):
        return None
    finally:
        os.close(file)
    if len(data) != size:
        return None
    return key, _record_of(ws, rel, data, layouts, None, strings)


def _read_link(
    ws: Workspace,
    agents_fd: int,
    rel: str,
    root: str,
    layouts: dict[tuple, dict[str, int]],
    strings: dict[str, str],
) -> tuple[bytes, Record] | None:
    """`_read_at` of a symlink that points at a regular file within the repository (`root`,
    resolved), as `_odd_entry` follows it; None for any other (`_odd_entry` says why)."""
    try:
        target = os.path.realpath(f"{ws.agents}/{rel}")
        if not target.startswith(root + os.sep) or not S_ISREG(os.stat(target).st_mode):
            return None
    except OSError:
        return None
    return _read_at(ws, agents_fd, rel, layouts, strings, _FOLLOW_FLAGS)


def _encoded_read(_: Sequence[str], found: list[tuple[bytes, Record] | None]) -> list[tuple | None]:
    """`_read_at`'s answers as they go back to the parent: (stat key, *the record as sent)."""
    return [None if got is None else (got[0], *_sent(got[1])) for got in found]


def _decoded_read(
    rel: str,
    value: Any,
    layouts: dict[tuple, dict[str, int]],
    sent_layouts: dict[int, dict[str, int]],
) -> tuple[bytes, Record] | None:
    """`_encoded_read`'s answer again; TypeError for anything of another shape."""
    if value is None:
        return None
    if type(value) is not tuple or not value or type(value[0]) is not bytes:
        raise TypeError("not a stat key and a record")
    return value[0], _decoded(rel, None, value[1:], layouts, sent_layouts)


_PENDING = Record("", {}, {}, 0)
_path_of = attrgetter("path")  # the sort key of 13,000 records, called in C


class _Listing(NamedTuple):
    """A folder under .agents/, open, and the names of the Markdown files in it."""

    folder: str
    base: str  # its path
    fd: int
    names: list[str]  # or their paths under .agents/ (`as_paths`)
    odd: dict[str, bool] = {}  # `as_paths`: the names not plainly regular files (True: a link)


def _listing(ws: Workspace, folder: str, as_paths: bool = False) -> _Listing | list[Entry]:
    """The folder's listing, or what stands for it in the scan: nothing when it is missing, a
    problem when it cannot be read. `as_paths`: each name as its path under .agents/."""
    base = ws.agents / folder
    try:
        fd = os.open(base, os.O_RDONLY | os.O_DIRECTORY)
    except FileNotFoundError:
        return []
    except NotADirectoryError:
        return [Entry(folder, None, _broken(ws, folder, "not-a-folder", "should be a folder"))]
    except OSError as exc:
        return [Entry(folder, None, _broken(ws, folder, "unreadable", exc.strerror or str(exc)))]
    try:
        if not as_paths:
            names = [name for name in os.listdir(fd) if name[-3:] == ".md" and name[0] != "."]
            return _Listing(folder, str(base), fd, names)
        # The listing's own file types (no stat): a FIFO or a device is never opened, a link is
        # followed where it is read.
        with os.scandir(fd) as listed:
            items = [it for it in listed if it.name[-3:] == ".md" and it.name[0] != "."]
        prefix = folder + "/"
        odd = {prefix + it.name: link for it in items if (link := _not_plain(it)) is not None}
        return _Listing(folder, str(base), fd, [prefix + it.name for it in items], odd)
    except OSError as exc:
        os.close(fd)
        return [Entry(folder, None, _broken(ws, folder, "unreadable", exc.strerror or str(exc)))]


def _not_plain(item: os.DirEntry) -> bool | None:
    """None for a regular file, as the listing says; else whether it is a symlink. (Where the
    file system gives no types, asking stats it: a name that cannot be stat'ed is odd, and
    `_odd_entry` says why.)"""
    try:
        return None if item.is_file(follow_symlinks=False) else item.is_symlink()
    except OSError:
        return False


def _stat_keys(items: Sequence[tuple[int, str]]) -> list[bytes | None]:
    """Each file's stat key, by its name relative to its open folder (the kernel walks no
    path); None for anything but a regular file (a symlink, a folder, a file gone) or a key
    that does not pack (an mtime past 2262): such a folder's names are looked at closely."""
    lstat = os.lstat
    pack = STAT.pack
    keys: list[bytes | None] = []
    add = keys.append
    for fd, name in items:  # each stat result dropped as soon as read: 13,000 are megabytes
        try:
            st = lstat(name, dir_fd=fd)
            add(pack(st.st_mtime_ns, st.st_size, st.st_ino) if S_ISREG(st.st_mode) else None)
        except (OSError, StructError):
            add(None)
    return keys


def _as_sent(_: Sequence[tuple[int, str]], keys: list[bytes | None]) -> list[bytes | None]:
    return keys


def _keys_received(items: Sequence[tuple[int, str]], keys: Any) -> list[bytes | None]:
    if type(keys) is not list or not all(key is None or type(key) is bytes for key in keys):
        raise TypeError("not stat keys")
    return keys


def _entries(ws: Workspace, listing: _Listing, keys: list[bytes | None]) -> list[Entry]:
    prefix = listing.folder + "/"
    if None in keys:  # symlinks, folders, pipes, files gone: each looked at closely
        return [
            _odd_entry(ws, prefix + name, f"{listing.base}/{name}", listing.fd, None)
            for name in listing.names
        ]
    make = tuple.__new__  # Entry's own constructor is a Python call; 13,000 of them show
    return [
        make(Entry, (prefix + name, key, None))
        for name, key in zip(listing.names, keys, strict=True)
    ]


def _odd_entry(
    ws: Workspace, rel: str, path: str, fd: int | None, st: os.stat_result | None
) -> Entry:
    """The entry of a name that may not be a plain file: a symlink is followed only within the
    repository; anything but a regular file is a problem."""
    try:
        name = path.rsplit("/", 1)[1] if fd is not None else path
        if st is None:
            st = os.lstat(name, dir_fd=fd)
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
            st = os.stat(name, dir_fd=fd)
    except OSError as exc:
        return Entry(rel, None, _broken(ws, rel, "unreadable", exc.strerror or str(exc)))
    if not S_ISREG(st.st_mode):
        return Entry(rel, None, _broken(ws, rel, "not-a-file", textfile.not_a_file(st.st_mode)))
    return Entry(rel, stat_key(st), None)


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
    strings: dict[str, str] | None = None,
) -> Record:
    """The file's record, parsed now; `same` itself when the file's blob id is `same`'s.
    `size`: what the scan's stat said, to read the file without a stat of its own; `strings`:
    the values of the files parsed before (frontmatter._tiled_load)."""
    display = ws.display(rel)
    try:
        if size is None:
            data = textfile.read_bytes(path, display)
        else:
            data = textfile.read_sized(path, display, size)
    except LocatedError as exc:
        return Record(rel, {}, {}, 1, exc.problem, True, b"")
    return _record_of(ws, rel, data, layouts, same, strings)


def _record_of(
    ws: Workspace,
    rel: str,
    data: bytes,
    layouts: dict[tuple, dict[str, int]] | None = None,
    same: Record | None = None,
    strings: dict[str, str] | None = None,
) -> Record:
    """The record of a file that holds `data` (`_parse_record`'s, once the file is read)."""
    display = ws.display(rel)
    digest = textfile.blob_bytes(data)
    if same is not None and same.digest == digest:
        return same
    try:
        text = textfile.decode(data, display)
    except LocatedError as exc:  # with the blob id of bytes that are not UTF-8: same bytes, same
        return Record(rel, {}, {}, 1, exc.problem, True, digest)  # problem, after a touch too
    # Imported here, past the blob id: 10,000 files whose mtime alone moved ask nothing of it.
    import agentmd.files.frontmatter as frontmatter

    # What `check` reads again: conflict markers, or a task still holding a template prompt.
    suspect = (
        "<<<<<<<" in text
        or ">>>>>>>" in text
        or (rel[:6] == "tasks/" and (_GOAL_PROMPT in text or _CRITERION_PROMPT in text))
    )
    try:
        fm = frontmatter.split(text, display)
        if fm is None:
            return Record(rel, {}, {}, 1, None, suspect, digest)
        fields, lines, starts = frontmatter.load_counted(fm, display, strings)
    except LocatedError as exc:
        return Record(rel, {}, {}, 1, exc.problem, suspect, digest)
    if starts is None:
        suspect = suspect or _may_repeat_a_key(fm.raw, len(lines))
    else:  # the tiled path counted the lines that start a key as it read them
        suspect = suspect or starts > len(lines)
    if layouts is not None:
        lines = layouts.setdefault((tuple(lines), tuple(lines.values())), lines)
    return Record(rel, fields, lines, fm.body_line, None, suspect, digest)


def _size(entry: Entry) -> int:
    return stat_parts(entry.key)[1]  # type: ignore[arg-type]


def _encoded(share: Sequence[tuple[Entry, Record | None]], records: list[Record]) -> Any:
    """Records parsed in a forked process, as they come back (see forked.py): None for one
    that is the record it had (same bytes); their paths are the parent's."""
    return [
        None if record is same else _sent(record)
        for (_, same), record in zip(share, records, strict=True)
    ]


def _sent(record: Record) -> tuple:
    """A record as a forked process sends it (its path is the parent's)."""
    return (
        record.fields,
        record.lines,
        record.body_line,
        tuple(record.problem) if record.problem else None,
        record.suspect,
        record.digest,
    )


def _decoded(
    rel: str,
    same: Record | None,
    value: Any,
    layouts: dict[tuple, dict[str, int]],
    sent_layouts: dict[int, dict[str, int]],
) -> Record:
    """`_encoded`'s record again; TypeError for anything of another shape. `sent_layouts`: the
    layouts met in this piece, by the id of the dict marshal made (a dict the process sent for
    many records comes back as one object), for a record's layout to be found without its
    (names, lines) key built again."""
    if value is None:
        if same is None:
            raise TypeError("no record")
        return same
    fields, lines, body_line, problem, suspect, digest = value
    if type(fields) is not dict or type(lines) is not dict or type(digest) is not bytes:
        raise TypeError("a record of another shape")
    kept = sent_layouts.get(id(lines))  # (the values decoded hold every such dict alive)
    if kept is None:
        kept = layouts.setdefault((tuple(lines), tuple(lines.values())), lines)
        sent_layouts[id(lines)] = kept
    lines = kept
    problem = problem and Problem(*problem)
    return _make_record(Record, (rel, fields, lines, body_line, problem, suspect, digest))


_make_record = tuple.__new__  # Record's own constructor is a Python call: thousands show
_GOAL_PROMPT, _CRITERION_PROMPT = TASK_PROMPTS  # asked of every task file as it is read


def _may_repeat_a_key(raw: str, keys: int) -> bool:
    """More lines that start a top-level key than distinct keys: worth a closer look."""
    starts = sum(1 for line in raw.split("\n") if line[:1] not in ("", " ", "\t", "-", "#", "\r"))
    return starts > keys
