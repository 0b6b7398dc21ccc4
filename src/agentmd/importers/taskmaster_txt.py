"""Task Master's per-task exports: the `task_001.txt` files `task-master generate` writes beside
tasks.json (`task_001_<tag>.txt` for a tag other than master), read when no tasks.json is there.
Each is a header of `# Key: value` lines (Task ID, Title, Status, Dependencies, Priority,
Description), then `# Details:` and `# Test Strategy:` blocks and, for a task with subtasks,
`# Subtasks:` with a `## <n>. <title> [<status>]` heading and `### ...:` lines for each. They
become the dicts tasks.json holds, so that one mapping (taskmaster.py) serves both."""

from __future__ import annotations

import re
from pathlib import Path

from agentmd.errors import LocatedError
from agentmd.files import textfile
from agentmd.importers.items import Import, display

NAME_RE = re.compile(r"task_(\d+)(?:_([^.]+))?\.txt$")
HEADER_RE = re.compile(r"^# (Task ID|Title|Status|Dependencies|Priority|Description):[ \t]?(.*)$")
BLOCK_RE = re.compile(r"^# (Details|Test Strategy|Subtasks):[ \t]*$")
SUB_RE = re.compile(r"^## (\d+)\. (.*?)(?: \[([^\]]*)\])?[ \t]*$")
SUB_FIELD_RE = re.compile(r"^### (Dependencies|Description|Details):[ \t]?(.*)$")
DEP_RE = re.compile(r"\d+(?:\.\d+)?")
KEYS = {"Task ID": "id", "Title": "title", "Status": "status", "Dependencies": "dependencies",
        "Priority": "priority", "Description": "description", "Details": "details",
        "Test Strategy": "testStrategy"}  # fmt: skip


def files(folder: Path) -> list[Path]:
    """The task_*.txt files of a folder, in the order of their numbers."""
    found = [
        (int(match.group(1)), p.name, p)
        for p in folder.glob("task_*.txt")
        if (match := NAME_RE.search(p.name)) and p.is_file()
    ]
    return [p for _, _, p in sorted(found)]


def tag_of(path: Path) -> str:
    match = NAME_RE.search(path.name)
    return (match.group(2) if match else None) or "master"


def read_file(path: Path, shown: str, imp: Import) -> tuple[dict, list[int]] | None:
    """The task as tasks.json would hold it, and the line of the task and of each subtask; None
    (refused at its line) for a file that is not such an export."""
    try:
        text = textfile.read_text(path, shown)
    except LocatedError as exc:
        imp.refused.append(exc.problem)
        return None
    task: dict = {}
    where = [1]
    section = "header"  # then Details, Test Strategy, Subtasks: each only after the one before
    order = ("header", "Details", "Test Strategy", "Subtasks")
    into: list[str] | None = None  # the lines a block collects
    sub: dict | None = None
    last = ""
    for number, line in enumerate(text.lstrip("\ufeff").splitlines(), 1):
        opening = BLOCK_RE.match(line)
        if opening and order.index(opening.group(1)) > order.index(section):
            section = opening.group(1)
            into = None if section == "Subtasks" else task.setdefault(KEYS[section], [])
            continue
        if section == "header":
            header = HEADER_RE.match(line)
            if header:
                last = KEYS[header.group(1)]
                task[last] = header.group(2).strip()
                where[0] = number if last == "id" else where[0]
            elif line.strip() and last == "description":  # a description of several lines
                task[last] = f"{task[last]}\n{line}".strip()
            continue
        if section == "Subtasks":
            heading = SUB_RE.match(line)
            if heading:
                sub = {"id": int(heading.group(1)), "title": heading.group(2).strip(),
                       "status": (heading.group(3) or "pending").strip()}  # fmt: skip
                task.setdefault("subtasks", []).append(sub)
                where.append(number)
                into = None
                continue
            field = SUB_FIELD_RE.match(line) if sub is not None else None
            if field and field.group(1) == "Details":
                into = sub.setdefault("details", []) if sub is not None else None
                continue
            if field and sub is not None:
                sub[field.group(1).lower()] = field.group(2).strip()
                continue
        if into is not None:
            into.append(line)
    if "id" not in task or not str(task["id"]).strip():
        imp.refuse(
            shown,
            1,
            "not-a-task-file",
            "no '# Task ID:' line: not a file `task-master generate` wrote",
            "name the folder of task_001.txt files, or tasks.json",
        )
        return None
    _finish(task)
    for each in task.get("subtasks", []):
        _finish(each)
    return task, where


def _finish(task: dict) -> None:
    for key in ("details", "testStrategy"):
        if isinstance(task.get(key), list):
            task[key] = "\n".join(task[key]).strip("\n")
    task["dependencies"] = dependencies(str(task.get("dependencies") or ""))


def dependencies(text: str) -> list[str]:
    """`None`, `4, 6, 11`, `✅ 1, ⏱️ 2`, `3 (done)`, `22.1`: the ids named, in order."""
    if text.strip().lower() in ("", "none"):
        return []
    out = []
    for part in text.split(","):
        match = DEP_RE.search(re.sub(r"\([^)]*\)", "", part))
        if match and match.group() not in out:
            out.append(match.group())
    return out


def read_tags(paths: list[Path], root: Path, imp: Import) -> tuple[dict, dict]:
    """{tag: {"tasks": [...]}} from the files, and {(tag, index): [(shown, line), ...]}."""
    tags: dict[str, dict] = {}
    places: dict[str, list[tuple[str, int]]] = {}
    for path in paths:
        shown = display(path, root)
        got = read_file(path, shown, imp)
        if got is None:
            continue
        task, lines = got
        tag = tag_of(path)
        tags.setdefault(tag, {"tasks": []})["tasks"].append(task)
        places.setdefault(tag, []).extend((shown, line) for line in lines)
    return tags, places
