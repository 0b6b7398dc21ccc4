"""Front matter: find it, load it (a fast path for plain `key: value`, YAML otherwise), locate
its errors with the likely fix, and say on which lines each field stands."""

from __future__ import annotations

import json
import re
import sys
from typing import TYPE_CHECKING, Any, NamedTuple

from agentmd.errors import LocatedError, Problem

if TYPE_CHECKING:
    from collections.abc import Callable

LINE_RE = re.compile(r"[^\n]*\n|[^\n]+\Z")
DELIMITER_RE = re.compile(r"---[ \t]*\r?\n?\Z")
CLOSE_RE = re.compile(r"^---[ \t]*\r?$", re.M)
# Plain values that can only be strings: the fast path's shortcut past the general rules.
TOP_KEY_START_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*:(?:[ \t]|\Z)")
SAFE_PLAIN_RE = re.compile(r"[A-Za-z_/][A-Za-z0-9_./ -]*\Z")
SAFE_FLOW_RE = re.compile(r"[A-Za-z0-9_./ ,-]*\Z")
KEY_RE = re.compile(r"([A-Za-z_][A-Za-z0-9_.-]*)[ \t]*:(?:[ \t]+(.*?))?[ \t]*\Z")
TOP_KEY_RE = re.compile(
    r"""(?P<key>"[^"\n]*"|'[^'\n]*'|[^\s#'"?:,\[\]{}\-][^:#\n]*?|-[^\s:#][^:#\n]*?)"""
    r"""[ \t]*:(?:[ \t]|\r?\n|\Z)"""
)
ITEM_RE = re.compile(r"([ \t]*)-(?:[ \t]+(.*?))?[ \t]*\Z")
PLAIN_KEY_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*\Z")
# PyYAML's YAML 1.1 resolvers for the implicit types the fast path must not misread.
BOOL_RE = re.compile(
    r"(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)\Z"
)
NULL_RE = re.compile(r"(?:~|null|Null|NULL|)\Z")
SIMPLE_INT_RE = re.compile(r"[-+]?(?:0|[1-9][0-9]*)\Z")
SIMPLE_FLOAT_RE = re.compile(r"[-+]?[0-9]+\.[0-9]+\Z")
# Compiled when first asked (2 ms: most front matter holds no such number)
NUMBER = r"""(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+
    |[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+
    |[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?
    |[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))\Z"""
# The bool and null words of YAML 1.1, as a table (what BOOL_RE and NULL_RE match).
WORDS: dict[str, bool | None] = {
    **{w: True for w in ("yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON")},
    **{w: False for w in ("no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF")},
    **{w: None for w in ("~", "null", "Null", "NULL", "")},
}
NUMERIC_START = frozenset("0123456789+-.")
INDICATORS = set("-?:,[]{}#&*!|>'\"%@`=<")
FLOW_FORBIDDEN = set(",[]{}:")


class _Fallback(Exception):
    """The fast path met something it does not handle: let YAML decide."""


def split_lines(text: str) -> list[str]:
    """Lines with their endings; only "\\n" breaks a line (as git and YAML see it)."""
    return LINE_RE.findall(text)


def newline_of(text: str) -> str:
    index = text.find("\n")
    return "\r\n" if index > 0 and text[index - 1] == "\r" else "\n"


class FrontMatter(NamedTuple):  # a tuple: built for each of 13,000 files on a cold run
    raw: str  # the YAML text between the delimiters
    start: int  # offset of `raw` in the file's text
    end: int  # offset just past `raw` (where the closing delimiter starts)
    first_line: int  # 1-based file line of the first YAML line
    body_start: int  # offset where the body begins
    body_line: int  # 1-based file line where the body begins


def split(text: str, display: str) -> FrontMatter | None:
    """Find the front matter: a first line `---` (after an optional BOM) up to the next `---`."""
    if text[:4] == "---\n":  # the usual opening: the closing `---` found without a regex
        close = text.find("\n---", 3) + 1
        if close and text[close + 3 : close + 4] in ("\n", ""):
            stop = close + 4 if close + 3 < len(text) else close + 3
            return FrontMatter(text[4:close], 4, close, 2, stop, 3 + text.count("\n", 4, close))
    return _split(text, display)


def _split(text: str, display: str) -> FrontMatter | None:
    """`split` for any opening and closing line (a BOM, CRLF, trailing blanks)."""
    offset = 1 if text.startswith("\ufeff") else 0
    if not text.startswith("---", offset):
        return None
    first_end = text.find("\n", offset)
    if first_end < 0 or not DELIMITER_RE.match(text, offset, first_end + 1):
        return None
    start = first_end + 1
    close = CLOSE_RE.search(text, start)
    if close is None:
        raise LocatedError(
            Problem(
                display,
                1,
                1,
                "frontmatter-unclosed",
                "front matter opened with '---' is never closed",
                "add a line '---' after the last field",
            )
        )
    position = close.start()
    stop = close.end() + 1 if close.end() < len(text) else close.end()
    body_line = 3 + text.count("\n", start, position)
    return FrontMatter(text[start:position], start, position, 2, stop, body_line)


def load(fm: FrontMatter, display: str) -> dict[str, Any]:
    """The front matter as a dict; a located error when it is not a YAML mapping."""
    return load_located(fm, display)[0]


def load_located(fm: FrontMatter, display: str) -> tuple[dict[str, Any], dict[str, int]]:
    """The fields and each field's 1-based file line (the last occurrence, as YAML keeps)."""
    fields, lines, _ = load_counted(fm, display)
    return fields, lines


def load_counted(
    fm: FrontMatter, display: str, strings: dict[str, str] | None = None
) -> tuple[dict[str, Any], dict[str, int], int | None]:
    """`load_located`, and how many lines start a top-level key when the tiled path read the
    front matter (None when another path did): more such lines than fields, a key set twice.
    `strings`: the values read before, for one copy of each (see `_tiled_load`)."""
    raw = fm.raw
    index: dict[str, int] = {}
    if "\t" not in raw and "\r" not in raw and raw.endswith("\n"):
        if strings is not None and _SHAPES:
            shaped = _shaped_load(raw, fm.first_line, strings)
            if shaped is not None:
                return shaped
        tiled = _tiled_load(raw, index, fm.first_line, strings)
        if tiled is not None:
            return tiled[0], index, tiled[1]
    try:
        return _fast_load(raw, index, fm.first_line, tiled=False), index, None
    except _Fallback:
        pass
    return load_yaml(fm, display), key_lines(fm), None


# -- the fast path ---------------------------------------------------------------------------


def _fast_load(
    raw: str, key_index: dict[str, int] | None = None, first_line: int = 0, tiled: bool = True
) -> dict[str, Any]:
    """Plain `key: value` front matter without YAML; `key_index` gets each key's line
    (`first_line` plus its index among the lines). `tiled`: False when `_tiled_load` was
    asked already and did not answer."""
    if "\t" not in raw and "\r" not in raw and raw.endswith("\n"):
        key_index = {} if key_index is None else key_index
        found = _tiled_load(raw, key_index, first_line) if tiled else None
        return _plain_load(raw, key_index, first_line) if found is None else found[0]
    index: dict[str, int] = {}
    fields = _line_load(raw, index)
    if key_index is not None:
        key_index.update({key: first_line + n for key, n in index.items()})
    return fields


# One line of the plainest front matter, split by the regex engine into what `_plain_load`
# would find in it: a key and its value (a plain string, a list of plain items, something else
# or nothing), or a list item (plain, or something else).
_PLAIN_ITEM = r"[A-Za-z_/][A-Za-z0-9_./-]*"
_PLAIN_VALUE = r"[A-Za-z_/](?:[A-Za-z0-9_./ -]*[A-Za-z0-9_./-])?"
_DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"  # a string: timestamps are not resolved (yaml_loader)
TILE_RE = re.compile(
    rf"^(?:([A-Za-z_][A-Za-z0-9_.-]*):(?: ({_PLAIN_VALUE}|{_DATE})| (\[(?:{_PLAIN_ITEM}"
    rf"(?:, {_PLAIN_ITEM})*)?\])| ([^\n]*))?|( *)- (?:({_PLAIN_VALUE})|[^\n]*))\n",
    re.M,
)


def _tiled_load(
    raw: str, key_index: dict[str, int], first_line: int, strings: dict[str, str] | None = None
) -> tuple[dict[str, Any], int] | None:
    """`_plain_load` with each line split by TILE_RE in C, for front matter whose every line it
    splits (a cold run of 10,000 task files is mostly such lines), and how many of the lines
    hold a key; None when any line is one it does not decide alike: `_plain_load` answers.

    `strings`: the string values and list items read before (a run that reads 10,000 files
    gives all its reads one dict, dropped once they are read), so that a value many files
    hold is one string; without it the short ones are interned. Interned, the 20,000 paths
    that one task each outputs would grow the interpreter's table of interned strings by
    megabytes for good.
    """
    tiles = TILE_RE.findall(raw)
    if len(tiles) != raw.count("\n"):  # a line TILE_RE does not split
        return None
    result: dict[str, Any] = {}
    index: dict[str, int] = {}
    words = WORDS
    intern = sys.intern
    keep = _interned if strings is None else strings.setdefault
    open_key: str | None = None
    items: list | None = None
    blocks: list[tuple[str, list]] = []
    item_indent: str | None = None
    number = first_line
    keys = 0
    for key, plain, flow, other, indent, item in tiles:
        if key:
            keys += 1
            if key in words:
                return None
            key = intern(key)
            index[key] = number
            number += 1
            open_key = None
            if plain:
                if plain in words:
                    result[key] = words[plain]
                else:
                    result[key] = keep(plain, plain)
                continue
            if flow:
                parts = flow[1:-1].split(", ") if len(flow) > 2 else []
                if not words.keys().isdisjoint(parts):
                    return None
                # copied at its size: a comprehension leaves room for 4 items
                result[key] = [keep(part, part) for part in parts][:]
                continue
            value = other.strip(" ")
            if not value or value[0] == "#":  # `key:` or `key: # a comment`: a list may follow
                result[key] = None
                open_key, item_indent = key, None
                continue
            try:
                result[key] = _other(value, keep)
            except _Fallback:
                return None
            continue
        number += 1
        if open_key is None or not item:
            return None
        if item_indent is None:
            item_indent = indent
            result[open_key] = items = []
            blocks.append((open_key, items))
        elif indent != item_indent:
            return None
        items.append(words[item] if item in words else keep(item, item))  # type: ignore[union-attr]
    for key, items in blocks:  # each list at its size: one appended item leaves room for 4
        if result[key] is items:  # (not a key set again since)
            result[key] = items[:]
    key_index.update(index)
    if strings is not None and _learning:
        _learn(tiles, keys == len(index))
    return result, keys


def _other(value: str, keep: Callable[[str, str], str]) -> Any:
    """A value TILE_RE found neither plain nor a flow list of plain items, stripped, neither
    empty nor a comment: as `_plain_load` reads it; _Fallback when YAML must."""
    if value[0] == "[":
        raise _Fallback
    if SAFE_PLAIN_RE.match(value) and value not in WORDS:
        return keep(value, value)
    found = _scalar(value)
    return keep(found, found) if type(found) is str else found


# -- shapes: the front matter of files written from one template, read by one regex ----------
#
# The tiled path splits each line with TILE_RE, then reads the pieces in a Python loop: 15 µs a
# task file here. Files written from one template (a plan's tasks, its handoffs) hold the same keys
# in the same order, each written the same way (a plain value, a flow list, a block list...):
# once such a shape has been read SHAPE_AFTER times, it becomes one regex of its own, which
# splits a whole file of that shape in one match, its groups the values in the order of its
# keys. A file it matches is read as `_tiled_load` reads it (the same value rules, the same
# lines); any other goes the tiled way. Only reads of many files (given `strings`) learn and
# use shapes, at most MAX_SHAPES in a process; it stops looking for new ones once
# MAX_SEEN ways have been seen and none repeated enough.
SHAPE_AFTER = 16  # files of one shape before it gets a regex (compiling one costs 2 ms)
MAX_SHAPES = 8
MAX_SEEN = 256
MAX_LAYOUTS = 64  # the `lines` a shape keeps, one for each length of its block lists


class _Shape(NamedTuple):
    regex: re.Pattern[str]
    keys: tuple[tuple[str, str, int], ...]  # (key, kind, length of a block item's prefix)
    lines: dict[tuple[int, ...], dict[str, int]]  # each key's line, by those lines
    # The regex's match read: (the fields, (the first line, each block list's length)), or
    # None for what the tiled path would not decide alike (`_shape_reader`)
    read: Callable[[re.Match[str], int, Callable[[str, str], str]], tuple | None]


_SHAPES: list[_Shape] = []
_seen: dict[tuple[tuple[str, str], ...], int] = {}
_learning = True
# Each kind's line in a shape's regex; a block list's items (B) carry their indent.
_SHAPE_LINES = {
    "P": rf": ({_PLAIN_VALUE}|{_DATE})\n",  # a plain value (TILE_RE's second group)
    "F": rf": \[((?:{_PLAIN_ITEM}(?:, {_PLAIN_ITEM})*)?)\]\n",  # its items, without [ ]
    "O": ": ([^\n]*)\n",  # anything else after `key: `: `_other` reads it
    "N": ":()\n",  # `key:` alone
}


def _learn(tiles: list[tuple[str, ...]], distinct: bool) -> None:
    """Count the shape of a front matter the tiled path read (TILE_RE's `tiles`; `distinct`:
    no key set twice), and make it a regex once seen SHAPE_AFTER times."""
    global _learning
    shape: list[tuple[str, str]] = []
    for key, plain, flow, other, indent, _ in tiles:
        if not key:  # an item: the list of the key before
            if shape[-1][1] == "N":
                shape[-1] = (shape[-1][0], "B" + indent)
        elif plain:
            shape.append((key, "P"))
        elif flow:
            shape.append((key, "F"))
        elif other:
            value = other.strip(" ")
            if not value or value[0] == "#":
                return  # `key: ` or `key: # note`: left to the tiled path
            shape.append((key, "O"))
        else:
            shape.append((key, "N"))
    if not distinct or not shape:
        return
    found = tuple(shape)
    seen = _seen[found] = _seen.get(found, 0) + 1
    if seen == SHAPE_AFTER:
        _SHAPES.append(_shape_of(found))
        _learning = len(_SHAPES) < MAX_SHAPES
    elif len(_seen) > MAX_SEEN:
        _learning = False


def _shape_of(shape: tuple[tuple[str, str], ...]) -> _Shape:
    pattern = []
    keys = []
    prefixes = []
    for key, kind in shape:
        if kind[0] == "B":
            prefix = f"{kind[1:]}- "
            line = f":\n((?:{re.escape(prefix)}{_PLAIN_VALUE}\n)+)"
            keys.append((key, "B", len(prefix)))
        else:
            prefix, line = "", _SHAPE_LINES[kind]
            keys.append((key, kind, 0))
        prefixes.append(prefix)
        pattern.append(re.escape(key) + line)
    read = _shape_reader(tuple(keys), tuple(prefixes))
    return _Shape(re.compile("".join(pattern)), tuple(keys), {}, read)


def _shape_reader(
    keys: tuple[tuple[str, str, int], ...], prefixes: tuple[str, ...]
) -> Callable[[re.Match[str], int, Callable[[str, str], str]], tuple | None]:
    """The function that reads a match of a shape of `keys` (as `_tiled_load` reads the same
    values), written out for that shape and compiled (as `collections.namedtuple` writes its
    classes): a loop over the keys, asking each its kind, was two thirds of a task file's
    read. The source holds no text of the files: the keys and a block list's separator are
    named by their place in `K` and `S` (`prefixes`: each block list's item prefix)."""
    names = [f"v{n}" for n in range(len(keys))]
    body = [f"    {', '.join(names)}, = found.groups()"]
    values, counts, flows = [], ["first_line"], []
    for n, (_, kind, cut) in enumerate(keys):
        v = names[n]
        if kind == "P":
            values.append(f"words[{v}] if {v} in words else keep({v}, {v})")
        elif kind == "F":
            body.append(f"    {v} = {v}.split(', ') if {v} else []")
            flows.append(f"words.keys().isdisjoint({v})")
            values.append(f"[keep(x, x) for x in {v}][:]")  # (at its size: _tiled_load)
        elif kind == "O":
            body += [
                f"    {v} = {v}.strip(' ')",
                f"    if not {v} or {v}[0] == '#':",
                "        return None",
                f"    {v} = other({v}, keep)",
            ]
            values.append(v)
        elif kind == "N":
            values.append("None")
        else:  # B: the items, each on a line of its own after the prefix
            body.append(f"    {v} = {v}[{cut}:-1].split(S[{n}])")
            counts.append(f"len({v})")
            values.append(f"[words[x] if x in words else keep(x, x) for x in {v}][:]")
    if flows:
        body += [f"    if not ({' and '.join(flows)}):", "        return None"]
    fields = ", ".join(f"K[{n}]: {value}" for n, value in enumerate(values))
    body.append(f"    return {{{fields}}}, ({', '.join(counts)},)")
    source = "def read(found, first_line, keep):\n" + "\n".join(body)
    separators = tuple(f"\n{prefix}" for prefix in prefixes)
    space: dict[str, Any] = {"K": tuple(key for key, _, _ in keys), "S": separators}
    space.update(words=WORDS, other=_other)  # other's _Fallback: the tiled path's to read
    exec(compile(source, "<agentmd shape>", "exec"), space)  # noqa: S102 - our own source
    return space["read"]


def _shaped_load(
    raw: str, first_line: int, strings: dict[str, str]
) -> tuple[dict[str, Any], dict[str, int], int] | None:
    """`load_counted`'s answer for a front matter of a shape learned (see `_learn`), read as
    `_tiled_load` reads it; None when it is of no such shape, or holds what the tiled path
    would not decide alike."""
    for shape in _SHAPES:
        found = shape.regex.fullmatch(raw)
        if found is not None:
            break
    else:
        return None
    try:
        read = shape.read(found, first_line, strings.setdefault)
    except _Fallback:  # a value YAML must read
        return None
    if read is None:
        return None
    result, at = read
    lines = shape.lines.get(at)
    if lines is None:
        lines = _shape_lines(shape, at)
        if len(shape.lines) < MAX_LAYOUTS:  # (block lists of many lengths: built each time)
            shape.lines[at] = lines
    return result, lines, len(shape.keys)


def _shape_lines(shape: _Shape, counts: tuple[int, ...]) -> dict[str, int]:
    """The line of each key of a front matter of `shape` that begins on line `counts[0]` and
    whose block lists hold `counts[1:]` items."""
    number, blocks = counts[0], iter(counts[1:])
    lines = {}
    for key, kind, _ in shape.keys:
        lines[key] = number
        number += 1 + (next(blocks) if kind == "B" else 0)
    return lines


def _interned(value: str, _: str) -> str:
    return sys.intern(value) if len(value) < 24 else value  # a short one may well repeat


def _plain_load(raw: str, key_index: dict[str, int], first_line: int) -> dict[str, Any]:
    """`_line_load` in fewer steps, for the plainest front matter (every line `key: value`,
    `key:` or `  - item`; no blank line, comment, tab or CR), where a cold run of 10,000 files
    spends its time; anything else goes to `_line_load`, which gives the same answers."""
    result: dict[str, Any] = {}
    open_key: str | None = None
    item_indent: str | None = None
    intern = sys.intern  # keys and short values repeat across 10,000 files: one copy each
    lines = raw.split("\n")
    lines.pop()  # raw ends with a newline
    for number, line in enumerate(lines, first_line):
        key, colon, value = line.partition(":")
        if colon and (key.isidentifier() and key.isascii() or PLAIN_KEY_RE.match(key)):
            if value and value[0] != " ":
                return _line_load_at(raw, key_index, first_line)
            if key in WORDS:
                raise _Fallback
            key = intern(key)
            key_index[key] = number
            value = value.strip(" ")
            if not value or value[0] == "#":
                result[key] = None
                open_key, item_indent = key, None
            elif value[0] == "[":
                result[key] = _flow_list(value)
                open_key = None
            elif SAFE_PLAIN_RE.match(value) and value not in WORDS:
                result[key] = intern(value) if len(value) < 24 else value
                open_key = None
            else:
                result[key] = _scalar(value)
                open_key = None
            continue
        item = line.lstrip(" ")
        if item[:2] != "- " or open_key is None:
            return _line_load_at(raw, key_index, first_line)
        indent = line[: len(line) - len(item)]
        if item_indent is None:
            item_indent = indent
            result[open_key] = []
        elif indent != item_indent:
            raise _Fallback
        item = item[2:].strip(" ")
        if not item or item[0] in "[{#":
            raise _Fallback
        result[open_key].append(_scalar(item))
    return result


def _line_load_at(raw: str, key_index: dict[str, int], first_line: int) -> dict[str, Any]:
    index: dict[str, int] = {}
    fields = _line_load(raw, index)
    key_index.clear()
    key_index.update({key: first_line + n for key, n in index.items()})
    return fields


def _line_load(raw: str, key_index: dict[str, int] | None = None) -> dict[str, Any]:
    """The fast path line by line: blank lines, comments and CRLF endings too."""
    result: dict[str, Any] = {}
    open_key: str | None = None  # a key whose value is an empty line so far (maybe a block list)
    item_indent: str | None = None
    for number, line in enumerate(raw.split("\n")):
        line = line.rstrip("\r")
        stripped = line.strip(" ")
        if not stripped or stripped.startswith("#"):
            continue
        if "\t" in line:
            raise _Fallback
        match = KEY_RE.match(line)
        if match:
            key, value = match.group(1), match.group(2)
            if key in WORDS:  # `yes:` or `null:` is not a string key in YAML 1.1
                raise _Fallback
            if key_index is not None:
                key_index[key] = number
            if not value or value.startswith("#"):
                result[key] = None
                open_key, item_indent = key, None
            else:
                result[key] = _flow_list(value) if value.startswith("[") else _scalar(value)
                open_key = None
            continue
        item = ITEM_RE.match(line)
        if item and open_key is not None:
            indent, value = item.group(1), item.group(2)
            if item_indent is None:
                item_indent = indent
                result[open_key] = []
            elif indent != item_indent or value is None:
                raise _Fallback
            if not value or value[0] in "[{" or value.startswith("#"):
                raise _Fallback
            result[open_key].append(_scalar(value))
            continue
        raise _Fallback
    return result


def _strip_comment(value: str) -> str:
    index = value.find(" #")
    return value if index < 0 else value[:index].rstrip(" ")


def _scalar(value: str, flow: bool = False) -> Any:
    if SAFE_PLAIN_RE.match(value) and value not in WORDS:
        return value
    first = value[0]
    if first in "'\"":
        close = value.find(first, 1)
        if close < 0:
            raise _Fallback
        inner, rest = value[1:close], value[close + 1 :]
        if (first == '"' and "\\" in inner) or (rest and not rest.lstrip(" ").startswith("#")):
            raise _Fallback
        if rest and not rest.startswith(" "):
            raise _Fallback
        if not inner.isprintable():
            raise _Fallback
        return inner
    if not flow:
        value = _strip_comment(value)
    if value in WORDS:
        return WORDS[value]
    if first in NUMERIC_START:
        if SIMPLE_INT_RE.match(value):
            return int(value)
        if SIMPLE_FLOAT_RE.match(value):
            return float(value)
        if re.match(NUMBER, value, re.X):  # a YAML 1.1 number: YAML reads it
            raise _Fallback
    if first in INDICATORS or value.endswith(":") or ": " in value or " #" in value:
        raise _Fallback
    if flow and not FLOW_FORBIDDEN.isdisjoint(value):
        raise _Fallback
    if not value.isprintable():
        raise _Fallback
    return value


def _flow_list(value: str) -> list[Any]:
    close = value.rfind("]")
    if (
        close < 0
        or value[close + 1 :].strip(" ")
        and not value[close + 1 :].lstrip().startswith("#")
    ):
        raise _Fallback
    inner = value[1:close].strip(" ")
    if not inner:
        return []
    if SAFE_FLOW_RE.match(inner):
        parts = [part.strip(" ") for part in inner.split(",")]
        if all(parts):
            intern = sys.intern  # ids and paths repeat across files: one copy each
            return [
                _scalar(part, flow=True)
                if part in WORDS or part[0] in NUMERIC_START
                else intern(part)
                for part in parts
            ]
    items = []
    for part in inner.split(","):
        part = part.strip(" ")
        if not part or part[0] in "'\"" and "," in part:
            raise _Fallback
        items.append(_scalar(part, flow=True))
    return items


# -- YAML, and locating its errors ---------------------------------------------------------


_LOADER = None
TYPED_KEYS = frozenset(f"tag:yaml.org,2002:{name}" for name in ("bool", "null", "int", "float"))


def yaml_loader():
    """PyYAML's C loader where available, with timestamps left as strings (as the fast path)."""
    global _LOADER
    if _LOADER is None:
        import yaml

        base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

        class Loader(base):  # type: ignore[misc,valid-type]
            def construct_mapping(self, node, deep=False):
                # A key is its text: `no:` is the field "no", not YAML 1.1's false, as the
                # fast path reads it.
                for key_node, _ in node.value:
                    if isinstance(key_node, yaml.ScalarNode) and key_node.tag in TYPED_KEYS:
                        key_node.tag = "tag:yaml.org,2002:str"
                return super().construct_mapping(node, deep)

        Loader.yaml_implicit_resolvers = {
            first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
            for first, resolvers in base.yaml_implicit_resolvers.items()
        }
        _LOADER = Loader
    return _LOADER


def yaml_load_text(raw: str) -> Any:
    import yaml

    return yaml.load(raw, Loader=yaml_loader())  # noqa: S506 - a SafeLoader subclass


def load_yaml(fm: FrontMatter, display: str) -> dict[str, Any]:
    """The YAML between the delimiters (or of a whole .yml file), errors located with a hint."""
    import yaml

    try:
        data = yaml_load_text(fm.raw)
    except yaml.MarkedYAMLError as exc:
        unclosed = _unclosed(fm, display, exc)
        if unclosed is not None:
            raise LocatedError(unclosed) from None
        mark = exc.problem_mark or exc.context_mark
        line = fm.first_line + (mark.line if mark else 0)
        col = (mark.column + 1) if mark else 1
        lines = fm.raw.split("\n")
        candidates = [mark.line] if mark else []
        if exc.context_mark is not None:
            candidates.append(exc.context_mark.line)
        if mark:
            candidates.append(mark.line - 1)
        hint, at = _hint_for(lines, candidates)
        if at is not None and at != (mark.line if mark else None):
            line, col = fm.first_line + at, 1
        problem = (exc.problem or str(exc)).strip()
        raise LocatedError(
            Problem(display, line, col, "yaml", f"front matter is not valid YAML: {problem}", hint)
        ) from None
    except yaml.YAMLError as exc:
        raise LocatedError(
            Problem(display, fm.first_line, 1, "yaml", f"front matter is not valid YAML: {exc}")
        ) from None
    except RecursionError:
        raise LocatedError(
            Problem(display, fm.first_line, 1, "yaml", "front matter is nested too deeply")
        ) from None
    except (ValueError, OverflowError) as exc:  # a tagged value YAML cannot make: 2024-02-30
        tagged = [n for n, line in enumerate(fm.raw.split("\n")) if "!!" in line]
        at = tagged[0] if len(tagged) == 1 else 0
        raise LocatedError(
            Problem(
                display,
                fm.first_line + at,
                1,
                "yaml",
                f"front matter is not valid YAML: {exc}",
                "write a value YAML can make of its tag, or quote it as text",
            )
        ) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise LocatedError(
            Problem(
                display,
                fm.first_line,
                1,
                "frontmatter-not-mapping",
                f"front matter is a {type(data).__name__}, not a mapping of fields",
                "write one 'key: value' per line",
            )
        )
    return {str(key): value for key, value in data.items()}


def _unclosed(fm: FrontMatter, display: str, exc: Any) -> Problem | None:
    """A `[` or `{` never closed, located where it opens: YAML finds it out only on a later line
    (`title: [draft` is found at the next key)."""
    opened, found = exc.context_mark, exc.problem_mark
    context = exc.context or ""
    if opened is None or found is None or opened.line >= found.line:
        return None
    if not context.startswith("while parsing a flow"):
        return None
    bracket, close = ("[", "]") if "sequence" in context else ("{", "}")
    lines = fm.raw.split("\n")
    if not (
        0 <= opened.line < len(lines)
        and lines[opened.line][opened.column : opened.column + 1] == bracket
    ):
        return None
    if _closed_later(lines, opened.line, opened.column):
        return None  # closed on a later line: YAML's own message is the right one (a missing ',')
    line = lines[opened.line].rstrip("\r")
    head, value = line[: opened.column], line[opened.column :].rstrip(" \t")
    hint = f"close it with '{close}' on the same line"
    if head.rstrip(" \t").endswith(":"):  # the value of a key: it may be text that starts so
        hint += f", or quote it if it is text: {head}{json.dumps(value, ensure_ascii=False)}"
    return Problem(
        display,
        fm.first_line + opened.line,
        opened.column + 1,
        "yaml",
        f"front matter is not valid YAML: the '{bracket}' here is never closed",
        hint,
    )


def _closed_later(lines: list[str], line: int, column: int) -> bool:
    """Whether the flow collection opening at (line, column) is closed after it, before the
    next line that starts a key: brackets counted, quoted text and comments skipped."""
    depth = 0
    quote = ""  # the quote of a quoted text that goes on past its line ('' or the quote)
    for index in range(line, len(lines)):
        text = lines[index]
        if index > line and not quote and TOP_KEY_START_RE.match(text):
            return False  # a key of its own: the collection ran into it unclosed
        at = column if index == line else 0
        if quote:  # its line folded into the quoted text: the text goes on here
            at, quote = _quote_end(text, at, quote)
            if quote:
                continue
            at += 1
        while at < len(text):
            char = text[at]
            if char in "[{":
                depth += 1
            elif char in "]}":
                depth -= 1
                if depth == 0:
                    return True
            elif char == "#" and (at == 0 or text[at - 1] in " \t"):
                break  # a comment, to the end of the line
            elif char in "'\"" and _opens_quote(text, at):
                at, quote = _quote_end(text, at + 1, char)
                if quote:
                    break
            at += 1
    return False


def _opens_quote(text: str, at: int) -> bool:
    """The quote at `at` starts a quoted item of a flow collection: it comes first on its line
    or after `[`, `{`, `,` or `:` (not "what's", nor "the '90s" in plain text)."""
    return text[:at].rstrip(" \t")[-1:] in ("", *"[{,:")


def _quote_end(text: str, at: int, quote: str) -> tuple[int, str]:
    """Where quoted text in `quote`s, going on at `at`, ends on this line: (the index of its
    closing quote, ""), or (the line's end, `quote`) when it goes on past the line. '' escapes
    a quote in single quotes, a backslash in double quotes."""
    while at < len(text):
        if text[at] == "\\" and quote == '"':
            at += 2
            continue
        if text[at] == quote:
            if quote == "'" and text[at + 1 : at + 2] == "'":
                at += 2
                continue
            return at, ""
        at += 1
    return len(text), quote


def _hint_for(lines: list[str], candidates: list[int]) -> tuple[str, int | None]:
    for index in candidates:
        if not 0 <= index < len(lines):
            continue
        line = lines[index].rstrip("\r")
        indent = line[: len(line) - len(line.lstrip(" \t"))]
        if "\t" in indent:
            return "YAML does not allow tabs for indentation: indent with spaces", index
        parts = _quote_parts(line)
        if parts is not None:
            value = parts[1]
            fixed, count = _folded(lines, index, parts)
            why = {
                "@": "a value cannot start with '@'",
                "`": "a value cannot start with '`'",
                "*": "'*' starts an alias",
                "&": "'&' starts an anchor",
                "!": "'!' starts a tag",
                "%": "a value cannot start with '%'",
                "[": "a value that starts with '[' is a list, and text follows its ']'",
                "{": "a value that starts with '{' is a mapping, and text follows its '}'",
            }.get(value[:1], "the value contains ': '" if ": " in value else "")
            prefix = f"{why}: " if why else ""
            where = ", on one line" if count > 1 else ""
            return f"{prefix}quote the value{where}: {fixed.strip()}", index
    return "", None


COMMENT_RE = re.compile(r"[ \t]+#.*\Z")  # a YAML comment after a value: ' # ...'


def suggest_quote(line: str) -> str | None:
    """`key: value` (or a list item `- value`) rewritten with the value double-quoted, when
    quoting is the likely fix; a trailing comment stays a comment, outside the quotes."""
    parts = _quote_parts(line)
    return None if parts is None else _quoted(*parts)


def quote_fix(lines: list[str], index: int) -> tuple[str, int] | None:
    """`suggest_quote` of the line at `index`, and how many lines it replaces: a plain value
    that goes on over more-indented lines is joined onto the one quoted line, as YAML folds it
    (each line break a space)."""
    parts = _quote_parts(lines[index].rstrip("\r\n"))
    return None if parts is None else _folded(lines, index, parts)


def _folded(lines: list[str], index: int, parts: tuple[str, str, str]) -> tuple[str, int]:
    line = lines[index].rstrip("\r\n")
    head, value, tail = parts
    count = 1
    if not tail.strip():  # (after a comment, the value does not go on)
        indent = len(line) - len(line.lstrip(" "))
        blank = 0  # blank lines met: a line break each, if the value goes on after them
        for more in lines[index + 1 :]:
            text = more.rstrip("\r\n")
            words = text.lstrip(" ")
            if not words.strip():
                blank += 1
                continue
            if words[0] in "#\t" or len(text) - len(words) <= indent:
                break
            value += ("\n" * blank or " ") + words.rstrip(" \t")
            count += 1 + blank
            blank = 0
    return _quoted(head, value, tail), count


def _quoted(head: str, value: str, tail: str) -> str:
    return head + json.dumps(value, ensure_ascii=False) + tail


def _quote_parts(line: str) -> tuple[str, str, str] | None:
    """`suggest_quote`'s line as (what comes before the value, the value, what comes after
    it), when quoting the value is the likely fix."""
    match = re.match(r"([ \t]*(?:-[ \t]+)?[A-Za-z_][\w.-]*:[ \t]+)(.+?)([ \t]*)\r?\Z", line)
    item = re.match(r"([ \t]*-[ \t]+)(.+?)([ \t]*)\r?\Z", line)
    if match and item and ": " in item.group(2) and " " in item.group(2).split(": ", 1)[0]:
        match = item  # `- echo x: y`: the words before ': ' are no key, the item is one value
    elif not match:
        match = item
    if not match:
        return None
    head, value, _ = match.groups()
    tail = line[match.end(2) :]
    comment = COMMENT_RE.search(value)
    if comment:
        value, tail = value[: comment.start()], value[comment.start() :] + tail
    if value[:1] in ("[", "{"):  # a list or mapping, unless text follows its closer: [draft] x
        if head.strip().rstrip(":") in LIST_FIELDS:
            return None  # (`outputs: [a] [b]` is a broken list: quoted, it would be one glob)
        end = _flow_end(value)
        return (head, value, tail) if end is not None and value[end + 1 :].strip() else None
    if not value or value[0] in "\"'|>#":
        return None
    if value[0] in "@`*&!%" or ": " in value or value.endswith(":"):
        return head, value, tail
    return None


# Fields whose value is a list: one that starts with '[' and has text after its ']' is a broken
# list, not text (a list item, `- [ -f x ] && y`, is text: a shell test).
LIST_FIELDS = frozenset(
    "depends_on inputs outputs verify tags resources statuses limit_patterns origin paths globs"
    .split()
)


def _flow_end(value: str) -> int | None:
    """The index of the bracket that closes the one `value` starts with; None if none does."""
    depth = at = 0
    while at < len(value):
        char = value[at]
        if char in "\"'" and _opens_quote(value, at):
            at, still_open = _quote_end(value, at + 1, char)
            if still_open:
                return None
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
            if depth == 0:
                return at
        at += 1
    return None


# -- where each field is, for locating and editing -------------------------------------------


class FieldSpan(NamedTuple):  # (not a dataclass: `dataclasses` imports `inspect`, 15 ms of
    # every cold read, before its processes fork)
    key: str
    start: int  # index of the key's line among the front matter's lines
    end: int  # index just past its last line (trailing blank and comment lines excluded)


def field_spans(raw: str) -> list[FieldSpan]:
    """Top-level fields in order of appearance, duplicates included."""
    lines = split_lines(raw)
    starts: list[tuple[str, int]] = []
    for index, line in enumerate(lines):
        match = TOP_KEY_RE.match(line)
        if match:
            key = match.group("key")
            if key[:1] in "'\"":
                key = key[1:-1]
            starts.append((key.strip(), index))
    spans = []
    for number, (key, start) in enumerate(starts):
        end = starts[number + 1][1] if number + 1 < len(starts) else len(lines)
        while end > start + 1 and _is_filler(lines[end - 1]):
            end -= 1
        spans.append(FieldSpan(key, start, end))
    return spans


def _is_filler(line: str) -> bool:
    stripped = line.strip()
    return not stripped or (stripped.startswith("#") and not line[:1].isspace())


def key_lines(fm: FrontMatter) -> dict[str, int]:
    """Each field's 1-based file line (the last occurrence, as YAML keeps the last)."""
    return {span.key: fm.first_line + span.start for span in field_spans(fm.raw)}
