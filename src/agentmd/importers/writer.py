"""Turn an `Import` into task files: new ones written whole, ones imported before (found by
their `source:`) edited field by field, all of them or none of them."""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from agentmd import git
from agentmd.errors import Problem
from agentmd.files.edit import Editor, render_scalar
from agentmd.importers.items import Import, Item, break_cycles
from agentmd.workspace.folder import Workspace
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
            changes.append(Change(rel, task_id, "new", text, done=_done(item)))
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
    if fields.get("imported_as") != item.status:
        put("status", item.status, fields.get("status"))
        editor.set("imported_as", item.status)
        changed.append("imported_as")
        if item.status == "blocked" and item.blocked_reason:
            put("blocked_reason", item.blocked_reason, fields.get("blocked_reason"))
        elif fields.get("imported_as") == "blocked" and "blocked_reason" in fields:
            editor.delete("blocked_reason")  # the source unblocked it: its reason goes too
            changed.append("blocked_reason")
    kind = "updated" if editor.text != old else "unchanged"
    return Change(rel, task_id, kind, editor.text, old, changed, done=_done(item))


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
    """Write every new and updated file, or none: each is staged beside its target first, then
    all are renamed into place; a failure on the way puts back what had been replaced and
    removes what had been added. One sync before the renames rather than an fsync per file
    (10,000 of those cost a minute on a busy disk)."""
    writes = [c for c in result.changes if c.kind != "unchanged"]
    folder = ws.agents / "tasks"
    folder.mkdir(parents=True, exist_ok=True)
    staged: list[tuple[Path, Path, Change]] = []
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    tag = f".agentmd-import-{os.getpid()}.tmp"
    try:
        for change in writes:
            target = ws.agents / change.rel
            tmp = target.with_name(f".{target.name}{tag}")
            fd = os.open(tmp, flags, 0o666)
            staged.append((tmp, target, change))
            with os.fdopen(fd, "wb") as handle:
                handle.write(change.new.encode("utf-8"))
            if change.kind == "new" and target.exists():
                raise FileExistsError(17, "a task file appeared meanwhile", str(target))
        os.sync()  # once for all, not an fsync a file: their bytes on disk before any rename
        done: list[tuple[Path, Change]] = []
        try:
            for tmp, target, change in staged:
                os.replace(tmp, target)
                done.append((target, change))
        except BaseException:
            for target, change in reversed(done):
                if change.old is None:
                    target.unlink(missing_ok=True)
                else:
                    target.write_text(change.old, encoding="utf-8")
            raise
    finally:
        for tmp, _, _ in staged:
            tmp.unlink(missing_ok=True)
