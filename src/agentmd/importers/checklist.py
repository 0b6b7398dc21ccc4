"""Any Markdown file of checkbox items under headings (PLAN.md, TODO.md, the orchestration
pattern's "## Completed / ## In Progress / ## Pending"): done or not from the box, in progress
from the box (`[-]`, `[/]`, `[~]`) or the heading, nesting as sub-tasks."""

from __future__ import annotations

import re
from pathlib import Path

from agentmd.files import textfile
from agentmd.importers.checkboxes import Box, plain, scan
from agentmd.importers.items import Import, Item, display, slug

IN_PROGRESS_RE = re.compile(
    r"\b(in[ -]progress|doing|current(ly)?|wip|active|started|ongoing)\b", re.I
)
BLOCKED_RE = re.compile(r"\b(blocked|on hold|waiting)\b", re.I)


def read(path: Path, root: Path) -> Import:
    shown = display(path, root)
    imp = Import("checklist", shown)
    boxes = scan(textfile.read_text(path, shown))
    if not boxes:
        imp.warn(shown, 1, "no-checkboxes", "no checkbox items ('- [ ] ...') in this file")
    sources: dict[int, str] = {}
    counts: dict[str, int] = {}
    for box in boxes:
        title = plain(box.text)
        if not title:
            imp.refuse(shown, box.line, "empty-item", "a checkbox with no text")
            continue
        key = slug(plain(box.first) or title)  # (its own line: a wrapped title keeps its id)
        counts[key] = counts.get(key, 0) + 1
        n = counts[key]
        item = checklist_item(box, title, f"{shown}#{key}" + (f"~{n}" if n > 1 else ""), shown)
        item.id = key if n == 1 else f"{key}-{n}"
        if n > 1:
            imp.warn(
                shown,
                box.line,
                "duplicate-id",
                f"'{title}' a second time: imported too, as {item.id}",
                "give the items titles of their own if they are different work",
            )
        sources[box.line] = item.source
        imp.items.append(item)
    link_children(imp, sources, boxes)
    return imp


def checklist_item(box: Box, title: str, source: str, shown: str) -> Item:
    heading = " > ".join(box.headings)
    status, why = box_status(box)
    item = Item(
        id="",
        source=source,
        title=title,
        status=status,
        native_status=f"[{box.mark}]" + (f" under '{box.headings[-1]}'" if box.headings else ""),
        blocked_reason=why,
        goal="\n".join(box.extra),
        path=shown,
        line=box.line,
    )
    if heading:
        item.notes.append(f"under: {heading}")
    item.notes.append(f"line in the source: {box.line}")
    return item


def box_status(box: Box) -> tuple[str, str]:
    if box.done:
        return "done", ""
    if box.started:
        return "active", ""
    heading = box.headings[-1] if box.headings and box.parent is None else ""
    if IN_PROGRESS_RE.search(heading):
        return "active", ""
    if BLOCKED_RE.search(heading):
        return "blocked", f"under '{heading}' in the checklist"
    return "todo", ""


def link_children(imp: Import, sources: dict[int, str], boxes: list[Box]) -> None:
    """A parent item waits for its nested items: it is done when they are."""
    by_source = {item.source: item for item in imp.items}
    for box in boxes:
        parent = box.parent
        if parent is None or box.line not in sources or parent.line not in sources:
            continue
        item = by_source[sources[parent.line]]
        if sources[box.line] not in item.depends_on:
            item.depends_on.append(sources[box.line])
