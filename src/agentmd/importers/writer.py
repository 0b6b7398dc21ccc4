"""Turn an `Import` into task files: new ones written whole, ones imported before (found by
their `source:`) edited field by field, all of them or none of them."""

from __future__ import annotations

import difflib
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from agentmd import clock, git
from agentmd.errors import Problem
from agentmd.files import textfile
from agentmd.files.edit import Editor, render_scalar
from agentmd.importers.items import Import, Item, break_cycles
from agentmd.workspace.folder import CACHE_DIR, Workspace
from agentmd.workspace.scaffold import yaml_list

DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
ID_RE = re.compile(r"[a-z0-9][a-z0-9._-]*")


@dataclass
class Change:
    rel: str  # tasks/<id>.md
    id: str
    kind: str  # new | updated | unchanged
    new: str
    old: str | None = None
    fields: list[str] = field(default_factory=list)  # what an update changed
    done: bool = False
    claimed: bool = False  # written active (in progress in the source), its claim's time set


@dataclass
class Plan:
    changes: list[Change]
    orphans: list[str]  # ids imported from this origin before, no longer in it
    problems: list[Problem]

    def count(self, kind: str) -> int:
        return sum(1 for c in self.changes if c.kind == kind)


def plan(ws: Workspace, imp: Import) -> Plan:
    """What an import would write; reads the tasks imported before, writes nothing."""
    break_cycles(imp)
    by_source: dict[str, str] = {}
    for task in ws.tasks.values():
        source = task.record.fields.get("source")
        if isinstance(source, str) and not task.broken:
            by_source.setdefault(source, task.id)
    taken = set(ws.tasks)
    id_of: dict[str, str] = {}
    problems: list[Problem] = []
    items: list[Item] = []
    for item in imp.items:
        if item.source in id_of:
            continue  # the importers keep sources unique; a second one is never written
        known = by_source.get(item.source)
        if known is None:
            known = _free_id(item.id, taken)
            taken.add(known)
        id_of[item.source] = known
        items.append(item)
    changes = []
    planned = git.head(ws.root) if any(i.source not in by_source for i in items) else None
    for item in items:
        task_id = id_of[item.source]
        deps = [id_of[s] for s in item.depends_on if s in id_of]
        deps += [d for d in item.depends_on_ids if d not in deps]
        rel = f"tasks/{task_id}.md"
        if item.source in by_source:
            changes.append(_update(ws, rel, task_id, item, deps))
        else:
            text = render(item, deps, planned)
            claimed = item.status == "active"
            changes.append(Change(rel, task_id, "new", text, done=_done(item), claimed=claimed))
    prefix = imp.origin + "#"
    seen = set(id_of)
    orphans = sorted(
        tid
        for source, tid in by_source.items()
        if source.startswith(prefix)
        and source not in seen
        and source.split("/", 1)[0] not in imp.covered
    )
    return Plan(changes, orphans, problems)


def _done(item: Item) -> bool:
    return item.status == "done"


def _free_id(wanted: str, taken: set[str]) -> str:
    base = wanted.lower() if ID_RE.fullmatch(wanted.lower()) else "task"
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def render(item: Item, deps: list[str], planned_at: str | None = None) -> str:
    """A new task's file; `planned_at`, the commit it is imported at (tasks/moved.py)."""
    lines = [
        "---",
        f"title: {render_scalar(item.title.strip() or item.id)}",
        f"status: {item.status}",
        f"priority: {item.priority}",
        f"depends_on: {yaml_list(deps)}",
    ]
    for key, values in item.fields.items():
        if values:
            lines.append(f"{key}: {yaml_list(values)}")
    if item.tags:
        lines.append(f"tags: {yaml_list(item.tags)}")
    created = _date(item.created)
    if created:
        lines.append(f"created: {created}")
    lines.append(f"source: {render_scalar(item.source)}")
    lines.append(f"imported_as: {item.status}")
    if item.status == "active":  # claimed by nobody, from now: the plan's lease runs out
        lines.append(f"claimed_at: {clock.stamp()}")
    if item.status == "blocked" and item.blocked_reason:
        lines.append(f"blocked_reason: {render_scalar(item.blocked_reason)}")
    if planned_at:
        lines.append(f"planned_at: {planned_at}")
    text = "\n".join(lines) + "\n---\n" + item.body()
    return re.sub(r"^([A-Za-z_]\w*): \n", r"\1:\n", text, flags=re.M)


def _date(text: str) -> str:
    match = DATE_RE.match(text.strip()) if text else None
    return match.group() if match else ""


def _update(ws: Workspace, rel: str, task_id: str, item: Item, deps: list[str]) -> Change:
    """Only the fields the source changed; the body and every other byte stay as they are."""
    task = ws.tasks[task_id]
    fields = task.record.fields
    old = ws.read(rel).text
    editor = Editor(old, ws.display(rel))
    changed: list[str] = []

    def put(key: str, value, current) -> None:
        if current != value:
            editor.set(key, value)
            changed.append(key)

    put("title", item.title.strip() or item.id, fields.get("title"))
    put("priority", item.priority, fields.get("priority", "medium"))
    put("depends_on", deps, list(fields.get("depends_on") or []))
    if item.tags or fields.get("tags"):
        put("tags", item.tags, list(fields.get("tags") or []))
    # The status follows the source only when the source changed it since the last import:
    # work moved on in agentmd (claimed, done with a handoff) is not undone by a re-import.
    claimed = False
    if fields.get("imported_as") != item.status:
        put("status", item.status, fields.get("status"))
        editor.set("imported_as", item.status)
        changed.append("imported_as")
        if item.status == "active" and fields.get("status") != "active":  # as `render` writes
            put("claimed_at", clock.stamp(), fields.get("claimed_at"))
            claimed = True
        if item.status == "blocked" and item.blocked_reason:
            put("blocked_reason", item.blocked_reason, fields.get("blocked_reason"))
        elif fields.get("imported_as") == "blocked" and "blocked_reason" in fields:
            editor.delete("blocked_reason")  # the source unblocked it: its reason goes too
            changed.append("blocked_reason")
    kind = "updated" if editor.text != old else "unchanged"
    return Change(rel, task_id, kind, editor.text, old, changed, done=_done(item), claimed=claimed)


def dry_run_text(ws: Workspace, result: Plan) -> str:
    out = []
    for change in result.changes:
        shown = ws.display(change.rel)
        if change.kind == "new":
            out.append(f"would write {shown} (new):\n")
            out.append("".join(f"  {line}\n" for line in change.new.splitlines()))
        elif change.kind == "updated":
            out.append(f"would update {shown} ({', '.join(change.fields)}):\n")
            diff = difflib.unified_diff(
                (change.old or "").splitlines(keepends=True),
                change.new.splitlines(keepends=True),
                shown,
                shown,
                n=0,
            )
            out.append("".join(f"  {line.rstrip(chr(10))}\n" for line in diff))
    return "".join(out)


def apply(ws: Workspace, result: Plan) -> None:
    """Write every new and updated file, or none. Each is written whole into a staging folder
    (.agents/.cache/import-<pid>.tmp) first; then, when tasks/ holds no task yet, the staging
    folder becomes tasks/ in one rename, else each file is renamed into place and a failure on
    the way puts back what had been replaced and removes what had been added. One scan of
    tasks/ rather than a lookup per task; one sync for the batch rather than an fsync per file
    (10,000 of those cost a minute on a busy disk)."""
    writes = [c for c in result.changes if c.kind != "unchanged"]
    folder = ws.agents / "tasks"
    folder.mkdir(parents=True, exist_ok=True)
    present = set(os.listdir(folder))
    for change in writes:
        name = _name(change)
        if change.kind == "new" and name in present:
            raise FileExistsError(17, "a task file appeared meanwhile", str(folder / name))
    stage = _staging(ws.agents)
    try:
        for change in writes:
            _write_new(f"{stage}/{_name(change)}", change.new.encode("utf-8"))
        os.sync()  # the files' bytes on disk before any rename makes them visible
        fresh = present <= {GITKEEP} and all(c.kind == "new" for c in writes)
        if not (fresh and _swap(folder, stage, GITKEEP in present)):
            _rename_each(folder, stage, writes)
        textfile.sync_dir(ws.agents if fresh else folder)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


GITKEEP = ".gitkeep"  # what `agentmd init` leaves in an empty tasks/


def _name(change: Change) -> str:
    return change.rel.split("/", 1)[1]


def _staging(agents: Path) -> Path:
    """A fresh folder in .agents/.cache/ (the same file system, so a rename moves it; ignored by
    git, so that what a killed import leaves is never committed), made with the mode a folder
    gets (tasks/ may become it); one a killed import left behind is removed."""
    stage = agents / CACHE_DIR / f"import-{os.getpid()}.tmp"
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir(parents=True)
    return stage


def _write_new(path: str, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def _swap(folder: Path, stage: Path, gitkeep: bool) -> bool:
    """The staging folder renamed over an empty tasks/ (its .gitkeep moved along): every file
    appears at once. False when that cannot be done (tasks/ got a file meanwhile, a system that
    does not rename over a folder), with tasks/ as it was."""
    if gitkeep:
        os.rename(folder / GITKEEP, stage / GITKEEP)
    try:
        os.rename(stage, folder)
    except OSError:
        if gitkeep:
            os.rename(stage / GITKEEP, folder / GITKEEP)
        return False
    return True


def _rename_each(folder: Path, stage: Path, writes: list[Change]) -> None:
    done: list[tuple[str, Change]] = []
    try:
        for change in writes:
            target = f"{folder}/{_name(change)}"
            os.replace(f"{stage}/{_name(change)}", target)
            done.append((target, change))
    except BaseException:
        for target, change in reversed(done):
            if change.old is None:
                os.unlink(target)
            else:
                Path(target).write_text(change.old, encoding="utf-8")
        raise
