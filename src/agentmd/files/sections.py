"""Markdown body structure: sections by heading with their line spans, and checkbox items.

markdown-it-py gives every block its source lines, so a `#` inside a fenced or indented code
block is not a heading and every finding can name its line.
"""

from __future__ import annotations

import re
from typing import NamedTuple

CHECKBOX_RE = re.compile(r"\[([ xX])\][ \t]+(.*)", re.S)

_PARSER = None


def _parser():
    global _PARSER
    if _PARSER is None:
        from markdown_it import MarkdownIt

        # Block structure only: headings' and list items' raw text is all that is read, so
        # inline parsing (half the time) is left out.
        _PARSER = MarkdownIt("commonmark").disable(["inline", "text_join"])
    return _PARSER


class Checkbox(NamedTuple):
    line: int  # 1-based file line
    checked: bool
    text: str


class Section(NamedTuple):
    title: str
    level: int
    line: int  # 1-based file line of the heading
    end_line: (
        int  # 1-based file line just past the section (next heading of the same or higher level)
    )
    text: str  # the lines under the heading, up to the next heading of any level, stripped
    full: str  # everything under the heading, subsections included, stripped
    checkboxes: tuple[Checkbox, ...]

    def key(self) -> str:
        return normalise(self.title)


def normalise(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", title.lower()).strip()


def parse(body: str, first_line: int = 1) -> list[Section]:
    """The sections of a Markdown body that starts at file line `first_line`."""
    tokens = _parser().parse(body)
    lines = body.split("\n")
    headings: list[tuple[int, int, int, str]] = []  # level, start, content start, title
    boxes: list[tuple[int, bool, str]] = []
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and token.map:
            title = tokens[index + 1].content.strip()
            headings.append((int(token.tag[1]), token.map[0], token.map[1], title))
        elif token.type == "list_item_open" and token.map:
            inline = next((t for t in tokens[index + 1 : index + 4] if t.type == "inline"), None)
            if inline is not None:
                match = CHECKBOX_RE.match(inline.content)
                if match:
                    boxes.append((token.map[0], match.group(1) != " ", match.group(2).strip()))
    sections = []
    for number, (level, start, content_start, title) in enumerate(headings):
        next_any = headings[number + 1][1] if number + 1 < len(headings) else len(lines)
        end = next(
            (h[1] for h in headings[number + 1 :] if h[0] <= level),
            len(lines),
        )
        sections.append(
            Section(
                title=title,
                level=level,
                line=first_line + start,
                end_line=first_line + end,
                text="\n".join(lines[content_start:next_any]).strip(),
                full="\n".join(lines[content_start:end]).strip(),
                checkboxes=tuple(
                    Checkbox(first_line + line, checked, text)
                    for line, checked, text in boxes
                    if content_start <= line < end
                ),
            )
        )
    return sections


def find(sections: list[Section], *titles: str) -> Section | None:
    """The first section whose normalised title is one of `titles`."""
    wanted = {normalise(title) for title in titles}
    return next((section for section in sections if section.key() in wanted), None)


def append_to_section(text: str, body_start: int, body_line: int, title: str, entry: str) -> str:
    """`text` with `entry` (lines without a final newline) added at the end of the section
    `title`; a missing section is created, as a level-2 heading, at the end of the file."""
    crlf = "\r\n" in text[:4096]
    end_mark = "\r" if crlf else ""
    body = text[body_start:]
    new_lines = [line + end_mark for line in entry.split("\n")]
    section = find(parse(body, body_line), title)
    if section is None:
        newline = end_mark + "\n"
        prefix = text if not text or text.endswith("\n") else text + newline
        if prefix.strip() and not prefix.endswith(newline * 2):
            prefix += newline
        return prefix + f"## {title}{newline}{newline}" + newline.join(entry.split("\n")) + newline
    lines = body.split("\n")
    heading = section.line - body_line
    insert_at = section.end_line - body_line
    while insert_at > heading + 1 and not lines[insert_at - 1].strip():
        insert_at -= 1
    if insert_at == heading + 1:
        new_lines.insert(0, end_mark)
    lines[insert_at:insert_at] = new_lines
    return text[:body_start] + "\n".join(lines)
