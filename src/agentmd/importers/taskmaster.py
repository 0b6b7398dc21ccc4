"""Task Master: `.taskmaster/tasks/tasks.json` (tagged: {tag: {tasks, metadata}}) or the legacy
`tasks/tasks.json` ({tasks, metadata}); tasks with subtasks, dependencies written as numbers
and as strings ("7", "7.2")."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from agentmd.errors import LocatedError, Problem
from agentmd.files import textfile
from agentmd.importers.items import Import, Item, display, load_json, priority, slug

STATUSES = {
    "pending": ("todo", ""),
    "in-progress": ("active", ""),
    "in_progress": ("active", ""),
    "review": ("active", ""),
    "done": ("done", ""),
    "completed": ("done", ""),
    "deferred": ("blocked", "deferred in Task Master"),
    "cancelled": ("blocked", "cancelled in Task Master"),
    "canceled": ("blocked", "cancelled in Task Master"),
    "blocked": ("blocked", "blocked in Task Master"),
}
KEPT = ("complexity", "recommendedSubtasks", "expansionPrompt", "previousStatus", "updatedAt")
MAPPED = {"id", "title", "description", "details", "testStrategy", "status", "priority",
          "dependencies", "subtasks", "acceptanceCriteria", "parentId", "parentTaskId",
          "isSubtask", "parentTask"}  # fmt: skip
ID_KEY_RE = re.compile(r'"id"\s*:')


def read(path: Path, root: Path) -> Import:
    file = _locate(path)
    if isinstance(file, list):
        return _read_exports(path, file, root)
    shown = display(file, root)
    imp = Import("taskmaster", shown)
    text = textfile.read_text(file, shown)
    hint = "Task Master writes this file: restore it from git or fix the JSON"
    lines = _IdLines(text, load_json(text, shown, hint), shown)
    tags = _tags(lines.data)
    if tags is None:
        raise LocatedError(
            Problem(
                shown,
                1,
                1,
                "not-taskmaster",
                'neither {"tasks": [...]} nor tagged lists',
                "name Task Master's tasks.json",
            )
        )
    current = _current_tag(file, tags)
    for tag, block in tags.items():
        tasks = block.get("tasks")
        if not isinstance(tasks, list):
            imp.warn(shown, 1, "no-tasks", f"tag '{tag}' has no list of tasks: skipped")
            continue
        prefix = "tm" if tag == current else f"tm-{slug(tag)}"
        _read_tag(imp, tag, prefix, tasks, lines)
    return imp


def _read_exports(path: Path, files: list[Path], root: Path) -> Import:
    """The task_001.txt files of a folder without tasks.json, or one such file."""
    from agentmd.importers import taskmaster_txt

    imp = Import("taskmaster", display(files[0].parent, root))  # one file or all: one origin
    tags, places = taskmaster_txt.read_tags(files, root, imp)
    current = _current_tag(files[0].parent / "tasks.json", tags)
    for tag, block in tags.items():
        prefix = "tm" if tag == current else f"tm-{slug(tag)}"
        _read_tag(imp, tag, prefix, block["tasks"], _Places(places[tag]))
    return imp


def _locate(path: Path) -> Path | list[Path]:
    """tasks.json; else the task_*.txt files (a list), tasks.json preferred where both are."""
    from agentmd.importers import taskmaster_txt

    if path.is_dir():
        for rel in (".taskmaster/tasks", "tasks", "."):
            if (path / rel / "tasks.json").is_file():
                return path / rel / "tasks.json"
        for rel in (".taskmaster/tasks", "tasks", "."):
            exports = taskmaster_txt.files(path / rel)
            if exports:
                return exports
        raise LocatedError(
            Problem(
                str(path),
                1,
                1,
                "not-found",
                "no tasks.json and no task_001.txt in this folder",
                "name .taskmaster/tasks/tasks.json (or the legacy tasks/tasks.json)",
            )
        )
    if path.suffix == ".txt" and path.is_file():
        return [path]
    return path


def _current_tag(file: Path, tags: dict) -> str:
    state = file.parent.parent / "state.json"
    try:
        tag = json.loads(state.read_text(encoding="utf-8")).get("currentTag")
    except (OSError, ValueError, AttributeError):
        tag = None
    if isinstance(tag, str) and tag in tags:
        return tag
    return "master" if "master" in tags or not tags else next(iter(tags))


class _IdLines:
    """The line each task and subtask of tasks.json starts on (JSON keeps no positions). The
    `"id":` keys, in order, one a task, found in one pass; where they do not pair off with the
    tasks (one has no id, another object has an "id"), the file is decoded again, noting where
    each object starts (in Python, so only then)."""

    def __init__(self, text: str, data: Any, shown: str):
        self.shown = shown
        self.data = data  # the tasks, as objects whose places are known
        objects = list(_task_objects(data))
        at = [match.start() for match in ID_KEY_RE.finditer(text)]
        if len(at) != len(objects) or not all(
            isinstance(o, dict) and o.get("id") not in (None, "") for o in objects
        ):
            try:
                self.data, starts = _decoded_with_starts(text)
                objects, at = [o for o, _ in starts], [start for _, start in starts]
            except RecursionError:  # nested deeper than Python's scanner goes: lines paired off
                objects, at = objects[: len(at)], at[: len(objects)]
        self.line_of: dict[int, int] = {}
        line, last = 1, 0
        for start, obj in sorted(zip(at, map(id, objects), strict=True)):  # one pass over text
            line += text.count("\n", last, start)
            last = start
            self.line_of[obj] = line

    def take(self, obj: object) -> tuple[str, int]:
        return self.shown, self.line_of.get(id(obj), 1)


def _tags(data: Any) -> dict | None:
    """tasks.json's tags: {"tasks": [...]} is the one tag "master"; None for neither shape."""
    if isinstance(data, dict) and isinstance(data.get("tasks"), list):
        return {"master": data}
    if isinstance(data, dict) and all(isinstance(v, dict) for v in data.values()):
        return data
    return None


def _task_objects(data: Any):
    """Each task and subtask object, in the order of the file (a task, then its subtasks)."""
    for block in (_tags(data) or {}).values():
        tasks = block.get("tasks") if isinstance(block, dict) else None
        for task in tasks if isinstance(tasks, list) else ():
            yield task
            subtasks = task.get("subtasks") if isinstance(task, dict) else None
            yield from subtasks if isinstance(subtasks, list) else ()


def _decoded_with_starts(text: str) -> tuple[Any, list[tuple[object, int]]]:
    """`text` decoded by json's own Python scanner, with each object and where it starts."""
    import json.decoder
    import json.scanner

    starts: list[tuple[object, int]] = []
    decoder = json.JSONDecoder()

    def parse_object(s_and_end, *args):
        found, end = json.decoder.JSONObject(s_and_end, *args)  # type: ignore[attr-defined]
        starts.append((found, s_and_end[1] - 1))  # the '{'
        return found, end

    decoder.parse_object = parse_object  # type: ignore[attr-defined]
    decoder.scan_once = json.scanner.py_make_scanner(decoder)  # type: ignore[attr-defined]
    data = decoder.decode(text)
    return data, starts


class _Places:
    """The file and line of each task and subtask of per-task exports, in order."""

    def __init__(self, places: list[tuple[str, int]]):
        self.places = iter(places)

    def take(self, obj: object = None) -> tuple[str, int]:
        return next(self.places)


def _read_tag(imp: Import, tag: str, prefix: str, tasks: list, lines) -> None:
    made: list[tuple[Item, list, str | None]] = []  # item, raw deps, parent native id
    native: dict[str, str] = {}  # "7" / "7.2" -> source
    for task in tasks:
        shown, line = lines.take(task)
        if not isinstance(task, dict) or task.get("id") in (None, ""):
            imp.refuse(shown, line, "no-id", f"a task in tag '{tag}' has no id")
            continue
        tid = str(task["id"]).strip()
        item = _item(task, tid, tag, prefix, imp, shown, line, native)
        if item is None:
            continue
        made.append((item, _list(task.get("dependencies")), None))
        subtasks = task.get("subtasks") or []
        for sub in subtasks if isinstance(subtasks, list) else []:
            sub_shown, sub_line = lines.take(sub)
            if not isinstance(sub, dict) or sub.get("id") in (None, ""):
                imp.refuse(sub_shown, sub_line, "no-id", f"a subtask of task {tid} has no id")
                continue
            sid = f"{tid}.{str(sub['id']).strip()}"
            child = _item(sub, sid, tag, prefix, imp, sub_shown, sub_line, native)
            if child is not None:
                made.append((child, _list(sub.get("dependencies")), tid))
                item.depends_on.append(child.source)
    for item, deps, parent in made:
        for dep in deps:
            text = str(dep).strip()
            target = None
            if parent is not None and "." not in text:
                target = native.get(f"{parent}.{text}") or native.get(text)
            else:
                target = native.get(text)
            if target is None or target == item.source or (parent and target == native[parent]):
                item.notes.append(f"depends on {text} (not in this import)")
                imp.warn(
                    item.path,
                    item.line,
                    "dependency-dropped",
                    f"{item.id} depends on '{text}', which is not a task of tag '{tag}'",
                    "kept under ## Notes",
                )
            elif target not in item.depends_on:
                item.depends_on.append(target)
        imp.items.append(item)


def _item(task, tid, tag, prefix, imp, shown, line, native) -> Item | None:
    source = f"{imp.origin}#{tag}/{tid}"
    if tid in native:
        imp.warn(shown, line, "duplicate-id", f"a second task {tid} in tag '{tag}': imported too")
        n = 2
        while f"{tid}~{n}" in native:
            n += 1
        tid, source = f"{tid}~{n}", f"{source}~{n}"
    native[tid] = source
    word = str(task.get("status") or "pending")
    status, why = STATUSES.get(word.strip().lower(), ("todo", ""))
    item = Item(
        id=f"{prefix}-{slug(tid.replace('~', '-'), dots=True)}",
        source=source,
        title=str(task.get("title") or f"Task {tid}"),
        status=status,
        native_status=word,
        blocked_reason=why,
        goal=str(task.get("description") or ""),
        path=shown,
        line=line,
    )
    mapped = priority(task.get("priority"))
    item.priority = mapped or "medium"
    if task.get("priority") is not None and mapped is None:
        item.notes.append(f"priority: {task.get('priority')}")
    for key, heading in (("details", "Details"), ("testStrategy", "Test strategy")):
        if task.get(key):
            item.sections.append((heading, str(task[key])))
    criteria = task.get("acceptanceCriteria")
    if isinstance(criteria, str):
        for entry in criteria.splitlines():
            entry = entry.strip().lstrip("-*").strip()
            if entry:
                item.criteria.append((status == "done", entry))
    elif isinstance(criteria, list):
        item.criteria += [(status == "done", str(c)) for c in criteria]
    item.notes.append(f"id in Task Master: {tid} (tag {tag})")
    for key in KEPT:
        if task.get(key) not in (None, ""):
            item.notes.append(f"{key}: {task[key]}")
    for key in sorted(set(task) - MAPPED - set(KEPT)):
        if task[key] not in (None, "", []):
            item.notes.append(f"{key}: {task[key]}")
    return item


def _list(value) -> list:
    if value is None or value == "":
        return []
    return value if isinstance(value, list) else [value]
