"""spec-kit and Kiro `tasks.md`: checkbox lines under phase headings. spec-kit writes
`- [ ] T001 [P] [US1] Description` ([P]: parallel-safe, [US1]: the user story); Kiro writes
`- [ ] 2.1 Description` nested under `- [ ] 2. Group`, with `_Requirements: 1.1, 2.3_` lines."""

from __future__ import annotations

import re
from pathlib import Path

from agentmd.files import textfile
from agentmd.importers.checkboxes import Box, plain, scan
from agentmd.importers.checklist import box_status
from agentmd.importers.items import Import, Item, display, slug

SPECKIT_RE = re.compile(r"^(?:\*\*)?(T\d+)(?:\*\*)?[:.]?\s*(.*)$")
KIRO_RE = re.compile(r"^(?:\*\*)?(\d+(?:\.\d+)*)\.?(?:\*\*)?\s+(.*)$")
MARK_RE = re.compile(r"^\[([^\]]+)\]\s*")
REF_RE = re.compile(r"(?<![A-Za-z0-9])T(\d{3,})(?:\s*[-–~]\s*T(\d{3,}))?")
REQ_RE = re.compile(r"^_?\s*(Requirements?|Refs?|References?)\s*:\s*(.*?)_?$", re.I)
PHASE_RE = re.compile(r"\bphase\b", re.I)


def read(path: Path, root: Path, flavour: str = "speckit") -> Import:
    shown = display(path, root)
    imp = Import(flavour, shown)
    boxes = scan(textfile.read_text(path, shown))
    if not boxes:
        imp.warn(shown, 1, "no-checkboxes", "no checkbox items ('- [ ] ...') in this file")
    pattern = SPECKIT_RE if flavour == "speckit" else KIRO_RE
    if boxes and not any(pattern.match(box.text) for box in boxes):
        # A plain checklist read as spec-kit or Kiro would be imported under the wrong ids
        # (and would rewrite what `import checklist` wrote from the same file): refuse it.
        example = "T001 Description" if flavour == "speckit" else "1.2 Description"
        imp.refuse(
            shown,
            boxes[0].line,
            "not-" + flavour,
            f"no {flavour} task line ('- [ ] {example}') in this file",
            f"for any checklist: agentmd import checklist {shown}",
        )
        return imp
    prefix = "" if flavour == "speckit" else "kiro-"
    made: dict[int, Item] = {}  # box line -> item
    native: dict[str, str] = {}  # T001 / 2.1 -> source
    seen: dict[str, int] = {}
    by_number: dict[str, Item] = {}
    previous: dict[tuple[str, ...], Item] = {}  # spec-kit: the last task of each phase
    for box in boxes:
        match = pattern.match(box.text)
        owner = _owner(box, made)
        if match is None and owner is not None and not box.children:
            owner.criteria.append((box.done, plain(box.text)))  # a check under a task
            continue
        if match is not None:
            number, rest = match.group(1), match.group(2)
            key = number.lower()
        else:
            number, rest = "", box.text
            key = slug(plain(box.first) or plain(box.text))
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1:
            imp.warn(
                shown, box.line, "duplicate-id", f"'{number or key}' a second time: imported too"
            )
        tail = key if seen[key] == 1 else f"{key}~{seen[key]}"
        tags, rest = _marks(rest)
        title = plain(rest) or number
        if not title:
            imp.refuse(shown, box.line, "empty-item", "a checkbox with no text")
            continue
        status, why = box_status(box)
        item = Item(
            id=(prefix + key if number else key) + ("" if seen[key] == 1 else f"-{seen[key]}"),
            source=f"{shown}#{tail}",
            title=title,
            status=status,
            native_status=f"[{box.mark}]",
            blocked_reason=why,
            tags=[slug(t) for t in tags if t.upper() != "P"]
            + (["parallel"] if "P" in (t.upper() for t in tags) else []),
            path=shown,
            line=box.line,
        )
        if box.optional:
            item.tags.append("optional")
        goal = []
        for line in box.extra:
            req = REQ_RE.match(line.lstrip("-* ").strip())
            if req:
                item.notes.append(f"{req.group(1).lower()}: {req.group(2).strip().rstrip('_')}")
            else:
                goal.append(line)
        item.goal = "\n".join(goal)
        if box.headings:
            item.notes.append(f"under: {' > '.join(box.headings)}")
        item.notes.append(f"line in the source: {box.line}")
        if number:
            native[number.upper()] = item.source
        made[box.line] = item
        parent = made.get(box.parent.line) if box.parent is not None else None
        if parent is None and flavour == "kiro" and "." in number:
            # Kiro often writes 2.1 beside 2. rather than under it: the number says whose it is
            parent = by_number.get(number.rsplit(".", 1)[0])
        if number:
            by_number[number] = item
        if parent is not None:
            parent.depends_on.append(item.source)  # a group waits for its items
        if flavour == "speckit" and number:
            phase = box.headings
            before = previous.get(phase)
            if before is not None and "parallel" not in item.tags and parent is None:
                item.depends_on.append(before.source)  # no [P]: after the one before it
            if parent is None:
                previous[phase] = item
        imp.items.append(item)
    if flavour == "speckit":
        _references(imp, native)
    return imp


def _owner(box: Box, made: dict[int, Item]) -> Item | None:
    parent = box.parent
    while parent is not None:
        if parent.line in made:
            return made[parent.line]
        parent = parent.parent
    return None


def _marks(text: str) -> tuple[list[str], str]:
    tags: list[str] = []
    while True:
        match = MARK_RE.match(text)
        if match is None:
            return tags, text
        tags.append(match.group(1).strip())
        text = text[match.end() :]


def _references(imp: Import, native: dict[str, str]) -> None:
    """`T007` or `T015-T018` named in a task's text: it depends on them."""
    for item in imp.items:
        for match in REF_RE.finditer(item.title + "\n" + item.goal):
            first = int(match.group(1))
            last = int(match.group(2) or first)
            width = len(match.group(1))
            for n in range(first, min(last, first + 200) + 1):
                source = native.get(f"T{n:0{width}d}")
                if source and source != item.source and source not in item.depends_on:
                    item.depends_on.append(source)
