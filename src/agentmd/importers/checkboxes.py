"""Checkbox items of a Markdown file, with their line, nesting, the headings above them and the
plain lines nested under them; fenced code is skipped (a `- [ ]` there is an example)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

BOX_RE = re.compile(
    r"^(?P<indent>[ \t]*)(?:[-*+]|\d+[.)])[ \t]+\[(?P<mark>[ xX~/-])\](?P<star>\*?)"
    r"(?:[ \t]+(?P<text>.*?))?[ \t]*$"
)
HEADING_RE = re.compile(r"^[ ]{0,3}(#{1,6})[ \t]+(.*?)[ \t]*#*[ \t]*$")
FENCE_RE = re.compile(r"^[ \t]*(`{3,}|~{3,})")
BOLD_RE = re.compile(r"\*\*(.+?)\*\*|__(.+?)__")


@dataclass
class Box:
    line: int
    indent: int
    mark: str  # ' ', 'x', '-', '/', '~'
    text: str
    headings: tuple[str, ...]
    optional: bool = False  # Kiro's `- [ ]*`
    parent: Box | None = None
    children: list[Box] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)  # lines nested under it, dedented
    first: str = ""  # its line's own text: what it is known by (a wrapped line adds to `text`)

    @property
    def done(self) -> bool:
        return self.mark in "xX"

    @property
    def started(self) -> bool:
        return self.mark in "-/~"


def _width(indent: str) -> int:
    return len(indent.replace("\t", "    "))


LIST_ITEM_RE = re.compile(r"^[ \t]*(?:[-*+]|\d+[.)])[ \t]")


def scan(text: str) -> list[Box]:
    """Every checkbox item, in the file's order. A line that goes on from an item's line (no
    blank line between, not a list item of its own, its first word lowercase: a sentence
    wrapped) is part of its text, as Markdown reads it; the rest is nested under it."""
    boxes: list[Box] = []
    headings: list[tuple[int, str]] = []
    stack: list[Box] = []
    fence = ""
    wrapping: Box | None = None  # the item whose first line may still go on
    for number, line in enumerate(text.splitlines(), 1):
        if wrapping is not None and not fence:
            went_on = line.strip() and not (
                LIST_ITEM_RE.match(line) or HEADING_RE.match(line) or FENCE_RE.match(line)
            )
            if (
                went_on
                and line.strip()[:1].islower()  # a sentence going on, not a line of its own
                and _width(line[: len(line) - len(line.lstrip())]) > wrapping.indent
            ):
                wrapping.text = f"{wrapping.text} {line.strip()}".strip()
                continue
            wrapping = None
        if fence:
            if line.strip().startswith(fence):
                fence = ""
            elif stack:
                stack[-1].extra.append(line.strip())
            continue
        opening = FENCE_RE.match(line)
        if opening:
            fence = opening.group(1)[:3]
            if stack and _width(line[: len(line) - len(line.lstrip())]) > stack[-1].indent:
                stack[-1].extra.append(line.strip())
            else:
                stack = []
            continue
        heading = HEADING_RE.match(line)
        if heading:
            level = len(heading.group(1))
            headings = [(lvl, t) for lvl, t in headings if lvl < level] + [
                (level, heading.group(2))
            ]
            stack = []
            continue
        box = BOX_RE.match(line)
        if box:
            indent = _width(box.group("indent"))
            while stack and stack[-1].indent >= indent:
                stack.pop()
            item = Box(
                number,
                indent,
                box.group("mark"),
                (box.group("text") or "").strip(),
                tuple(t for _, t in headings),
                optional=bool(box.group("star")),
                parent=stack[-1] if stack else None,
                first=(box.group("text") or "").strip(),
            )
            if item.parent is not None:
                item.parent.children.append(item)
            boxes.append(item)
            stack.append(item)
            wrapping = item
            continue
        if not line.strip():
            continue
        indent = _width(line[: len(line) - len(line.lstrip())])
        while stack and stack[-1].indent >= indent:
            stack.pop()
        if stack:
            stack[-1].extra.append(line.strip())
    return boxes


def plain(text: str) -> str:
    """The item's text as a title: bold markers gone, spaces folded."""
    return " ".join(BOLD_RE.sub(lambda m: m.group(1) or m.group(2), text).split())
