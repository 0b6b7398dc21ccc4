"""Surgical edits of a host's JSON settings: add agentmd's entries, take them out again, and
leave every other byte of the user's file as it was.

The text is scanned once for the spans of its objects, arrays and members. An entry is added
after the last item of its container (`,` + the siblings' own line break and indent + the entry,
indented as the file is), so taking it out again removes exactly that text; a container that
holds only agentmd's entries is taken out with them, since agentmd made it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, NamedTuple

from agentmd.errors import LocatedError, Problem

STRING_END = {"\\": 2, '"': 1}


class Node(NamedTuple):
    kind: str  # "object" | "array" | "value"
    start: int
    end: int  # exclusive
    items: tuple  # object: ((key, key_start, Node), ...); array: (Node, ...)

    def member(self, key: str) -> Node | None:
        return next((node for name, _, node in self.items if name == key), None)


def load(text: str, display: str) -> tuple[Node, Any]:
    """The file's structure and its value; a located error when it is not a JSON object."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LocatedError(
            Problem(display, exc.lineno, exc.colno, "bad-json", exc.msg,
                    "fix the JSON (comments and trailing commas are not allowed here)")
        ) from None  # fmt: skip
    if not isinstance(value, dict):
        raise LocatedError(
            Problem(display, 1, 1, "bad-json", "the settings are not a JSON object",
                    "the file must hold one object: { ... }")
        )  # fmt: skip
    node, _ = _scan(text, _skip(text, 0))
    return node, value


def find(root: Node, path: tuple[str, ...]) -> Node | None:
    node: Node | None = root
    for key in path:
        if node is None or node.kind != "object":
            return None
        node = node.member(key)
    return node


def add(text: str, display: str, path: tuple[str, ...], entry: Any, key: str | None = None) -> str:
    """`entry` appended to the list at `path` (key None), or made member `key` of the object
    there; containers missing on the way are made with it. The caller checks that the entry is
    not there already."""
    root, _ = load(text, display)
    node, depth = root, 0  # down as far as the file goes; the rest is built as one new value
    while depth < len(path):
        child = node.member(path[depth])
        if child is None:
            break
        want = "array" if depth + 1 == len(path) and key is None else "object"
        if child.kind != want:
            raise LocatedError(
                Problem(display, *_line_col(text, child.start), "bad-json",
                        f"'{'.'.join(path[: depth + 1])}' should be "
                        + ("a list" if want == "array" else "an object"),
                        "fix it by hand, or move it aside, and run setup again")
            )  # fmt: skip
        node, depth = child, depth + 1
    if depth == len(path):
        return _insert(text, node, key, entry, node is root)
    value: Any = {key: entry} if key is not None else [entry]
    for name in reversed(path[depth + 1 :]):
        value = {name: value}
    return _insert(text, node, path[depth], value, node is root)


def remove(
    text: str, display: str, path: tuple[str, ...], match: Callable[[str, Any], bool]
) -> str:
    """Every item of the container at `path` for which match(key or '', value) holds, taken out;
    a container left empty is taken out of its parent in turn (agentmd made it)."""
    while True:
        root, value = load(text, display)  # again after each cut: the spans moved
        node = find(root, path)
        if node is None or node.kind == "value":
            return text
        container = value
        for key in path:
            container = container[key]
        items = list(container.items()) if isinstance(container, dict) else [
            ("", item) for item in container
        ]  # fmt: skip
        doomed = [n for n, (key, item) in enumerate(items) if match(key, item)]
        if not doomed:
            return text
        if len(doomed) == len(items) and path:
            return remove(text, display, path[:-1], lambda key, _v: key == path[-1])
        spans = _item_spans(node)
        n = doomed[-1]
        if len(doomed) == len(items):  # the top object, left empty
            start, end = node.start + 1, node.end - 1
        elif n > 0:
            start, end = spans[n - 1][1], spans[n][1]  # ", <ws> item": what `add` put there
        else:
            start, end = spans[0][0], spans[1][0]  # the first item: "item, <ws>"
        text = text[:start] + text[end:]


# -- inserting -------------------------------------------------------------------------------


def _insert(text: str, node: Node, key: str | None, value: Any, is_root: bool) -> str:
    unit = _indent_unit(text)
    spans = _item_spans(node)
    label = "" if key is None else f"{json.dumps(key, ensure_ascii=False)}: "
    if spans:
        last_start, last_end = spans[-1]
        lead = _line_lead(text, last_start)
        if lead is None:  # siblings on one line: stay on it, compact
            return text[:last_end] + ", " + label + _compact(value) + text[last_end:]
        return text[:last_end] + ",\n" + lead + label + _render(value, unit, lead) + text[last_end:]
    if not is_root and "\n" not in text[node.start : node.end]:
        return text[: node.start + 1] + label + _compact(value) + text[node.end - 1 :]
    own = _line_lead(text, node.start)
    own = own if own is not None else _leading_ws(text, node.start)
    inner = own + unit
    item = label + _render(value, unit, inner)
    return text[: node.start + 1] + "\n" + inner + item + "\n" + own + text[node.end - 1 :]


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def _render(value: Any, unit: str, lead: str) -> str:
    lines = json.dumps(value, indent=unit, ensure_ascii=False).split("\n")
    return "\n".join([lines[0], *(lead + line for line in lines[1:])])


def _indent_unit(text: str) -> str:
    """The file's indent step, from its first indented line; two spaces by default."""
    for line in text.splitlines()[1:]:
        stripped = line.lstrip(" \t")
        if stripped and len(stripped) < len(line):
            return line[: len(line) - len(stripped)]
    return "  "


def _line_lead(text: str, pos: int) -> str | None:
    """The whitespace before `pos` on its line, when nothing else precedes it there."""
    start = text.rfind("\n", 0, pos) + 1
    lead = text[start:pos]
    return lead if lead.strip(" \t") == "" else None


def _leading_ws(text: str, pos: int) -> str:
    start = text.rfind("\n", 0, pos) + 1
    line = text[start:pos]
    return line[: len(line) - len(line.lstrip(" \t"))]


def _item_spans(node: Node) -> list[tuple[int, int]]:
    if node.kind == "object":
        return [(key_start, child.end) for _, key_start, child in node.items]
    return [(child.start, child.end) for child in node.items]


def _line_col(text: str, pos: int) -> tuple[int, int]:
    line = text.count("\n", 0, pos) + 1
    return line, pos - (text.rfind("\n", 0, pos) + 1) + 1


# -- scanning (the text is valid JSON by now: json.loads read it) ----------------------------


def _skip(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n\ufeff":
        pos += 1
    return pos


def _string_end(text: str, pos: int) -> int:
    pos += 1
    while True:
        quote, slash = text.find('"', pos), text.find("\\", pos)
        if slash != -1 and slash < quote:
            pos = slash + 2
            continue
        return quote + 1


def _scan(text: str, pos: int) -> tuple[Node, int]:
    char = text[pos]
    if char == "{":
        start = pos
        items = []
        pos = _skip(text, pos + 1)
        while text[pos] != "}":
            key_start = pos
            key_end = _string_end(text, pos)
            key = json.loads(text[key_start:key_end])
            pos = _skip(text, _skip(text, key_end) + 1)  # past the colon
            child, pos = _scan(text, pos)
            items.append((key, key_start, child))
            pos = _skip(text, pos)
            if text[pos] == ",":
                pos = _skip(text, pos + 1)
        return Node("object", start, pos + 1, tuple(items)), pos + 1
    if char == "[":
        start = pos
        elements = []
        pos = _skip(text, pos + 1)
        while text[pos] != "]":
            child, pos = _scan(text, pos)
            elements.append(child)
            pos = _skip(text, pos)
            if text[pos] == ",":
                pos = _skip(text, pos + 1)
        return Node("array", start, pos + 1, tuple(elements)), pos + 1
    if char == '"':
        end = _string_end(text, pos)
        return Node("value", pos, end, ()), end
    end = pos
    while end < len(text) and text[end] not in ",]} \t\r\n":
        end += 1
    return Node("value", pos, end, ()), end
