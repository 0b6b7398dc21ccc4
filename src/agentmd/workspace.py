"""The .agents/ folder: find it, index its files (cached by mtime, size and inode), lock it,
and save edits to it."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from agentmd import AGENTS_DIR, __version__, document, frontmatter, textfile
from agentmd.edit import Editor
from agentmd.errors import AgentmdError, LocatedError, Problem
from agentmd.model import Handoff, Note, Record, Settings, Task

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
CACHE_FORMAT = f"agentmd {__version__} index 1"
RACY_NS = 2_000_000_000


class NotAWorkspace(AgentmdError):
    pass


@dataclass(frozen=True)
class Index:
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

    def display(self, rel: str) -> str:
        return f"{AGENTS_DIR}/{rel}"

    # -- reading -----------------------------------------------------------------------------

    @cached_property
    def index(self) -> Index:
        return load_index(self)

    def refresh(self) -> None:
        for name in ("index", "settings", "tasks", "handoffs", "decisions", "gotchas", "rules"):
            self.__dict__.pop(name, None)

    @cached_property
    def settings(self) -> Settings:
        plan = self.index.plan
        return Settings.from_fields(plan.fields if plan and not plan.problem else {})

    @cached_property
    def tasks(self) -> dict[str, Task]:
        return {r.stem: Task.from_record(r) for r in self.index.groups["tasks"]}

    @cached_property
    def handoffs(self) -> list[Handoff]:
        return [Handoff.from_record(r) for r in self.index.groups["handoffs"] if not r.problem]

    @cached_property
    def decisions(self) -> list[Note]:
        return [Note.from_record("decision", r) for r in self.index.groups["decisions"] if not r.problem]

    @cached_property
    def gotchas(self) -> list[Note]:
        return [Note.from_record("gotcha", r) for r in self.index.groups["gotchas"] if not r.problem]

    @cached_property
    def rules(self) -> list[Note]:
        return [Note.from_record("rule", r) for r in self.index.groups["rules"] if not r.problem]

    @property
    def problems(self) -> list[Problem]:
        return self.index.problems

    def read(self, rel: str) -> document.Document:
        """A file under .agents/, read now and whole (for its body or for an edit)."""
        return document.read(self.agents / rel, self.display(rel))

    def task(self, task_id: str) -> Task:
        check_id(task_id)
        task = self.tasks.get(task_id)
        if task is None:
            raise AgentmdError(
                f"no task '{task_id}' in {self.display('tasks/')}",
                "'agentmd list' shows the tasks there are",
            )
        return task

    # -- writing -----------------------------------------------------------------------------

    def edit(self, rel: str) -> Editor:
        doc = self.read(rel)
        if doc.fm is None:
            raise LocatedError(
                Problem(doc.display, 1, 1, "frontmatter-missing", "has no front matter to edit")
            )
        return Editor(doc.text, doc.display)

    def save(self, rel: str, text: str) -> None:
        textfile.atomic_write(self.agents / rel, text)

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


def load_index(ws: Workspace) -> Index:
    cache_path = ws.agents / CACHE_DIR / INDEX_FILE
    cached, written = _read_cache(cache_path)
    # As git's racy-clean rule: a file changed in the same second the cache was written may
    # have changed again without its mtime moving; such entries are parsed again.
    trusted_before = written - RACY_NS
    started = time.time_ns()
    fresh: dict[str, list] = {}
    changed = False

    def record_for(rel: str, path: Path, entry: os.DirEntry | None) -> Record:
        nonlocal changed
        try:
            st = entry.stat() if entry is not None else path.stat()
        except OSError as exc:
            return _broken(ws, rel, "unreadable", exc.strerror or str(exc))
        key = [st.st_mtime_ns, st.st_size, st.st_ino]
        hit = cached.get(rel)
        if hit is not None and hit[0] == key and key[0] < trusted_before:
            fresh[rel] = hit
            return _record_from_json(rel, hit[1])
        record = _parse_record(ws, rel, path)
        fresh[rel] = [key, _record_to_json(record)]
        changed = True
        return record

    plan_path = ws.agents / "plan.md"
    plan = record_for("plan.md", plan_path, None) if plan_path.exists() else None
    groups: dict[str, list[Record]] = {}
    for name, folder in FOLDERS.items():
        records = []
        for rel, path, entry, problem in _scan(ws, folder):
            records.append(problem if problem else record_for(rel, path, entry))
        groups[name] = sorted(records, key=lambda r: r.path)
    if changed or len(fresh) != len(cached):
        _write_cache(cache_path, fresh, started)
    return Index(plan, groups)


def _scan(ws: Workspace, folder: str):
    base = ws.agents / folder
    try:
        entries = list(os.scandir(base))
    except FileNotFoundError:
        return
    except NotADirectoryError:
        yield folder, base, None, _broken(ws, folder, "not-a-folder", "should be a folder")
        return
    root = str(ws.root.resolve())
    for entry in entries:
        if not entry.name.endswith(".md") or entry.name.startswith("."):
            continue
        rel = f"{folder}/{entry.name}"
        if entry.is_symlink():
            target = os.path.realpath(entry.path)
            if not (target == root or target.startswith(root + os.sep)):
                yield rel, Path(entry.path), None, _broken(
                    ws, rel, "symlink-outside", "is a symlink that points outside the repository"
                )
                continue
        if entry.is_dir():
            yield rel, Path(entry.path), None, _broken(
                ws, rel, "not-a-file", "is a directory where a file was expected"
            )
            continue
        yield rel, Path(entry.path), entry, None


def _broken(ws: Workspace, rel: str, code: str, message: str, hint: str = "") -> Record:
    return Record(rel, {}, {}, 1, Problem(ws.display(rel), 1, 1, code, message, hint))


def _parse_record(ws: Workspace, rel: str, path: Path) -> Record:
    display = ws.display(rel)
    try:
        text = textfile.read_text(path, display)
        fm = frontmatter.split(text, display)
        if fm is None:
            return Record(rel, {}, {}, 1, None)
        fields = frontmatter.load(fm, display)
    except LocatedError as exc:
        return Record(rel, {}, {}, 1, exc.problem)
    return Record(rel, fields, frontmatter.key_lines(fm), fm.body_line, None)


def _record_to_json(record: Record) -> list:
    problem = record.problem.as_dict() if record.problem else None
    return [record.fields, record.lines, record.body_line, problem]


def _record_from_json(rel: str, data: list) -> Record:
    fields, lines, body_line, problem = data
    return Record(rel, fields, lines, body_line, Problem(**problem) if problem else None)


def _read_cache(path: Path) -> tuple[dict[str, list], int]:
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return {}, 0
    if not isinstance(data, dict) or data.get("format") != CACHE_FORMAT:
        return {}, 0
    files, written = data.get("files"), data.get("written")
    if not isinstance(files, dict) or not isinstance(written, int):
        return {}, 0
    return files, written


def _write_cache(path: Path, files: dict[str, list], written: int) -> None:
    """Best effort: a cache that cannot be written only costs speed next time."""
    try:
        payload = json.dumps(
            {"format": CACHE_FORMAT, "written": written, "files": files}, separators=(",", ":")
        )
    except (TypeError, ValueError):
        safe = {}
        for rel, value in files.items():
            try:
                json.dumps(value)
            except (TypeError, ValueError):
                continue
            safe[rel] = value
        payload = json.dumps(
            {"format": CACHE_FORMAT, "written": written, "files": safe}, separators=(",", ":")
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(payload, encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass
