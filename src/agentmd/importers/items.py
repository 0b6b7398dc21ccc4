"""What every importer produces: items (one per task to write) and refusals (located
problems for what could not be read), in the source's order."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentmd.errors import LocatedError, Problem


@dataclass
class Item:
    """One task as the source has it, already mapped to agentmd's fields."""

    id: str  # the agentmd id it asks for (a later import keeps the id it got)
    source: str  # where it came from: stable across edits of the source, e.g. backlog#back-7
    title: str
    status: str  # an agentmd status
    native_status: str = ""  # the source's own word for it, kept under ## Notes
    priority: str = "medium"
    depends_on: list[str] = field(default_factory=list)  # sources of other items
    depends_on_ids: list[str] = field(default_factory=list)  # ids of tasks already in the plan
    tags: list[str] = field(default_factory=list)
    created: str = ""
    blocked_reason: str = ""
    goal: str = ""
    criteria: list[tuple[bool, str]] = field(default_factory=list)
    sections: list[tuple[str, str]] = field(default_factory=list)  # (heading, text), kept as is
    notes: list[str] = field(default_factory=list)  # what has no field: "milestone: M3", ...
    path: str = ""  # where a problem with it is reported
    line: int = 1
    raw_body: str = ""  # a body written elsewhere (decompose), used as it is
    fields: dict[str, list[str]] = field(default_factory=dict)  # inputs, outputs, verify

    def body(self) -> str:
        if self.raw_body:
            return self.raw_body + "\n" + self._notes()
        parts = ["## Goal\n\n" + (self.goal.strip() or self.title.strip()) + "\n"]
        if self.criteria:
            lines = "".join(f"- [{'x' if done else ' '}] {text}\n" for done, text in self.criteria)
            parts.append("## Acceptance criteria\n\n" + lines)
        for heading, text in self.sections:
            if text.strip():
                parts.append(f"## {heading}\n\n{text.strip()}\n")
        parts.append(self._notes())
        return "\n".join(parts)

    def _notes(self) -> str:
        notes = [f"- source: {self.source}"]
        if self.native_status:
            notes.append(f"- status in the source: {self.native_status}")
        notes += [f"- {note}" for note in self.notes]
        return "## Notes\n\n" + "".join(line.replace("\n", " ") + "\n" for line in notes)


@dataclass
class Import:
    format: str
    origin: str  # the path as the user named it, relative to the repository root
    items: list[Item] = field(default_factory=list)
    refused: list[Problem] = field(default_factory=list)  # errors: an item not imported
    warnings: list[Problem] = field(default_factory=list)  # imported, with something dropped
    covered: set[str] = field(default_factory=set)  # sources whose tasks stay as they are

    def refuse(self, path: str, line: int, code: str, message: str, hint: str = "") -> None:
        self.refused.append(Problem(path, line, 1, code, message, hint))

    def warn(self, path: str, line: int, code: str, message: str, hint: str = "") -> None:
        self.warnings.append(Problem(path, line, 1, code, message, hint, "warning"))


SLUG_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def slug(text: str, limit: int = 60, dots: bool = False) -> str:
    """A readable id: lower case, '-' between words; `dots` keeps the dots of a source's own
    numbering (back-24.02, 7.2), never those of a title (`encoding.py` -> encoding-py)."""
    if len(text) <= limit and SLUG_RE.fullmatch(text):
        return text  # a slug already, as most ids and labels are: nothing to normalize
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    keep = r"[^a-z0-9.]+" if dots else r"[^a-z0-9]+"
    out = re.sub(keep, "-", ascii_text.lower()).strip("-.")
    out = re.sub(r"\.{2,}", ".", out)
    return out[:limit].rstrip("-.") or "task"


def display(path: Path, root: Path) -> str:
    """A source path as recorded in `source:`: relative to the repository root when inside it."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix() or "."
    except ValueError:
        return path.as_posix()


PRIORITY_WORDS = {
    "high": "high", "critical": "high", "urgent": "high", "p0": "high", "p1": "high",
    "medium": "medium", "normal": "medium", "p2": "medium",
    "low": "low", "minor": "low", "p3": "low", "p4": "low",
}  # fmt: skip


def priority(word: object) -> str | None:
    """An agentmd priority for a source's word, or None when it has no equivalent."""
    return PRIORITY_WORDS.get(str(word).strip().lower()) if word is not None else None


def break_cycles(imp: Import) -> None:
    """Drop each dependency that closes a cycle (a task on a cycle can never be ready), in the
    source's order, keeping it under ## Notes with a warning at the item."""
    by_source = {item.source: item for item in imp.items}
    state: dict[str, int] = {}  # 1 on the path, 2 finished
    for start in imp.items:
        if state.get(start.source):
            continue
        stack = [(start, iter(list(start.depends_on)))]
        state[start.source] = 1
        while stack:
            item, deps = stack[-1]
            dep = next(deps, None)
            if dep is None:
                state[item.source] = 2
                stack.pop()
                continue
            target = by_source.get(dep)
            if target is None:
                continue
            if state.get(dep) == 1:
                item.depends_on.remove(dep)
                item.notes.append(f"depends on {target.id} (dropped: it closed a cycle)")
                imp.warn(
                    item.path or imp.origin,
                    item.line,
                    "dependency-cycle",
                    f"{item.id} -> {target.id} closes a dependency cycle: dropped",
                    "kept under ## Notes; a task on a cycle could never be ready",
                )
            elif not state.get(dep):
                state[dep] = 1
                stack.append((target, iter(list(target.depends_on))))


def load_json(text: str, shown: str, hint: str) -> Any:
    """A source file's JSON, or a located error at the place it breaks."""
    import json

    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise LocatedError(
            Problem(shown, exc.lineno, exc.colno, "json", f"not valid JSON: {exc.msg}", hint)
        ) from None
