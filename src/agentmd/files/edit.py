"""Surgical edits of front-matter fields: one field's line (or span) changes, every other byte,
comment, quote style and line ending stays."""

from __future__ import annotations

import json
import re
from typing import Any, NamedTuple

from agentmd.files.frontmatter import (
    ITEM_RE,
    TOP_KEY_RE,
    FieldSpan,
    FrontMatter,
    _Fallback,
    _scalar,
    field_spans,
    newline_of,
    split,
    split_lines,
)

# -- editing ---------------------------------------------------------------------------------


def render_scalar(value: Any, style: str = "", flow: bool = False) -> str:
    """YAML text for a scalar, in the quote style asked for where that is safe."""
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    text = str(value)
    if style == "'" and text.isprintable() and text == text.strip(" "):
        return "'" + text.replace("'", "''") + "'"
    if style != '"' and text and _plain_ok(text, flow):
        return text
    return double_quote(text)


# Characters YAML reads as line breaks or will not accept raw, written as escapes instead.
_YAML_ESCAPE_RE = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]")


def double_quote(text: str) -> str:
    """A YAML double-quoted scalar that loads back as exactly `text`."""
    quoted = json.dumps(text, ensure_ascii=False)
    return _YAML_ESCAPE_RE.sub(lambda m: f"\\u{ord(m.group()):04x}", quoted)


def _plain_ok(text: str, flow: bool) -> bool:
    if text != text.strip(" ") or not text.isprintable():
        return False
    try:
        return _scalar(text) == text and (not flow or _scalar(text, flow=True) == text)
    except _Fallback:
        return False


def _value_bounds(line: str) -> tuple[int, int]:
    """Start and end of the value on a `key: value  # comment` line."""
    colon = TOP_KEY_RE.match(line)
    assert colon is not None
    position = line.index(":", colon.start("key") + len(colon.group("key"))) + 1
    body_end = len(line.rstrip("\r\n"))
    while position < body_end and line[position] in " \t":
        position += 1
    if position >= body_end or line[position] == "#":
        return position, position
    first = line[position]
    if first in "'\"":
        index = position + 1
        while index < body_end:
            if line[index] == "\\" and first == '"':
                index += 2
                continue
            if line[index] == first:
                if first == "'" and index + 1 < body_end and line[index + 1] == "'":
                    index += 2
                    continue
                return position, index + 1
            index += 1
        return position, body_end
    if first == "[":
        close = line.rfind("]", position, body_end)
        if close >= 0:
            return position, close + 1
    comment = line.find(" #", position, body_end)
    end = body_end if comment < 0 else comment
    return position, len(line[:end].rstrip(" \t"))


class _Field(NamedTuple):
    """Where one field stands: its span, its key line, and its value's bounds on that line."""

    fm: FrontMatter
    lines: list[str]
    span: FieldSpan | None
    line: str
    start: int
    end: int
    old: str  # the value's text on the key line
    items: list[int]  # indexes of its block-list item lines

    @property
    def single(self) -> bool:
        return self.span is not None and self.span.end == self.span.start + 1

    @property
    def is_flow(self) -> bool:
        return self.single and self.old.startswith("[") and self.old.endswith("]")

    def item_indent(self) -> str:
        return ITEM_RE.match(self.lines[self.items[-1]].rstrip("\r\n")).group(1)  # type: ignore[union-attr]


class EditError(Exception):
    """The anchor for an edit is not where it should be; the file is left alone."""


class Editor:
    """Edits fields of one file's front matter in place; `text` holds the result."""

    def __init__(self, text: str, display: str):
        self.display = display
        self.text = text
        self.newline = newline_of(text)

    def _state(self) -> tuple[FrontMatter, list[str], dict[str, FieldSpan]]:
        fm = split(self.text, self.display)
        if fm is None:
            raise EditError(f"{self.display}: has no front matter to edit")
        spans = {span.key: span for span in field_spans(fm.raw)}
        return fm, split_lines(fm.raw), spans

    def _locate(self, key: str) -> _Field:
        fm, lines, spans = self._state()
        span = spans.get(key)
        if span is None:
            return _Field(fm, lines, None, "", 0, 0, "", [])
        line = lines[span.start]
        start, end = _value_bounds(line)
        items = [
            i for i in range(span.start + 1, span.end) if ITEM_RE.match(lines[i].rstrip("\r\n"))
        ]
        return _Field(fm, lines, span, line, start, end, line[start:end], items)

    def _replace_lines(
        self, fm: FrontMatter, lines: list[str], start: int, end: int, new: list[str]
    ) -> None:
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += self.newline
        lines[start:end] = new
        self.text = self.text[: fm.start] + "".join(lines) + self.text[fm.end :]

    def _replace_value(self, f: _Field, value_text: str) -> None:
        """The field's one line with its value replaced; the key, spacing and comment stay."""
        assert f.span is not None
        if not f.old and not f.line[f.end :].strip():
            new_line = f.line[: f.start].rstrip(" \t") + " " + value_text + f.line[f.end :]
        else:
            new_line = f.line[: f.start] + value_text + f.line[f.end :]
        self._replace_lines(f.fm, f.lines, f.span.start, f.span.start + 1, [new_line])

    def set(self, key: str, value: Any) -> None:
        """Set a scalar or list field; only its line (or span) changes, or one line is added."""
        if isinstance(value, list | tuple):
            self.set_list(key, list(value))
            return
        f = self._locate(key)
        if f.span is None:
            self._append(f.fm, f.lines, f"{key}: {render_scalar(value)}")
        elif f.single and f.old[:1] not in ("[", "{", "|", ">", "&", "*", "!"):
            self._replace_value(f, render_scalar(value, f.old[:1] if f.old[:1] in "'\"" else ""))
        else:
            new = [f"{key}: {render_scalar(value)}{self.newline}"]
            self._replace_lines(f.fm, f.lines, f.span.start, f.span.end, new)

    def set_list(self, key: str, items: list[Any]) -> None:
        f = self._locate(key)
        flow = "[" + ", ".join(render_scalar(item, flow=True) for item in items) + "]"
        if f.span is None:
            self._append(f.fm, f.lines, f"{key}: {flow}")
        elif f.is_flow:
            self._replace_value(f, flow)
        elif not f.old and f.items and items:
            indent = f.item_indent()
            new = [f"{indent}- {render_scalar(item)}{self.newline}" for item in items]
            self._replace_lines(f.fm, f.lines, f.span.start + 1, f.span.end, new)
        else:
            self._replace_lines(
                f.fm, f.lines, f.span.start, f.span.end, [f"{key}: {flow}{self.newline}"]
            )

    def append_to_list(self, key: str, item: Any) -> None:
        """Add one item in the list's own style: `[a, b]` gets `, c`; a block list gets a line."""
        f = self._locate(key)
        rendered = render_scalar(item, flow=True)
        if f.span is None:
            self._append(f.fm, f.lines, f"{key}: [{rendered}]")
        elif f.is_flow:
            inner = f.old[1:-1]
            keep = len(inner.rstrip())
            self._replace_value(
                f, f"[{inner[:keep]}, {rendered}{inner[keep:]}]" if keep else f"[{rendered}]"
            )
        elif not f.old and f.items:
            new_line = f"{f.item_indent()}- {render_scalar(item)}{self.newline}"
            self._replace_lines(f.fm, f.lines, f.span.end, f.span.end, [new_line])
        elif not f.old and f.single:
            self._replace_value(f, f"[{rendered}]")
        else:
            raise EditError(f"{self.display}: field '{key}' is not a list agentmd can extend")

    def delete(self, key: str) -> None:
        fm, lines, spans = self._state()
        span = spans.get(key)
        if span is not None:
            self._replace_lines(fm, lines, span.start, span.end, [])

    def _append(self, fm: FrontMatter, lines: list[str], line: str) -> None:
        self._replace_lines(fm, lines, len(lines), len(lines), [line + self.newline])
