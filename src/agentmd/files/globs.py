"""Path globs as agent files write them, and whether two globs can match the same path.

`**` as a whole segment matches any number of folders; `*`, `?` and `[...]` match within one
segment. A pattern with no `/` matches a file name at any depth (`*.py`), as in .gitignore;
a leading `/` anchors it at the root (`/Dockerfile`); a trailing `/` means everything below
that folder. A plain path is a glob that matches itself.

In a task's own fields (`inputs`, `outputs`: `rooted=True`) an entry without glob characters
is the one path it names, from the repository root: `Dockerfile` is the root's, not any
`src/api/Dockerfile`. Globs stay globs there, and a note's `applies_to` keeps the rule above.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache, lru_cache
from typing import cast

Token = tuple[str, object]  # ("lit", "a") | ("any", None) | ("star", None) | ("set", (neg, chars))


def normalise(pattern: str) -> str:
    pattern = pattern.strip().replace("\\", "/")
    while pattern.startswith("./"):
        pattern = pattern[2:]
    pattern = pattern.lstrip("/")
    if pattern.endswith("/"):
        pattern += "**"
    return pattern


@lru_cache(maxsize=4096)
def _segments(pattern: str, literal: bool = False) -> tuple[object, ...]:
    # `/name` (or `./name`) has a `/`: the root's file, as in .gitignore, not one at any depth.
    anchored = pattern.strip().replace("\\", "/").startswith(("/", "./"))
    pattern = normalise(pattern)
    parts = [part for part in pattern.split("/") if part not in ("", ".")]
    if not literal and not anchored and len(parts) == 1 and parts[0] != "**":
        parts = ["**", *parts]
    return tuple("**" if part == "**" and not literal else _tokens(part, literal) for part in parts)


def _tokens(segment: str, literal: bool) -> tuple[Token, ...]:
    if literal:
        return tuple(("lit", ch) for ch in segment)
    tokens: list[Token] = []
    index = 0
    while index < len(segment):
        ch = segment[index]
        if ch == "*":
            if not tokens or tokens[-1][0] != "star":
                tokens.append(("star", None))
        elif ch == "?":
            tokens.append(("any", None))
        elif ch == "[":
            close = segment.find("]", index + 2)
            if close < 0:
                tokens.append(("lit", ch))
            else:
                body = segment[index + 1 : close]
                negate = body[:1] in ("!", "^")
                tokens.append(("set", (negate, _expand(body[1:] if negate else body))))
                index = close
        else:
            tokens.append(("lit", ch))
        index += 1
    return tuple(tokens)


def _expand(body: str) -> frozenset[str]:
    chars: set[str] = set()
    index = 0
    while index < len(body):
        if index + 2 < len(body) and body[index + 1] == "-":
            chars.update(chr(c) for c in range(ord(body[index]), ord(body[index + 2]) + 1))
            index += 3
        else:
            chars.add(body[index])
            index += 1
    return frozenset(chars)


def _char_sets_meet(a: Token, b: Token) -> bool:
    kind_a, value_a = a
    kind_b, value_b = b
    if kind_a == "any" or kind_b == "any":
        return True
    if kind_a == "lit" and kind_b == "lit":
        return value_a == value_b
    if kind_a == "lit":
        return _in_set(value_a, value_b)  # type: ignore[arg-type]
    if kind_b == "lit":
        return _in_set(value_b, value_a)  # type: ignore[arg-type]
    neg_a, chars_a = cast(tuple[bool, frozenset[str]], value_a)
    neg_b, chars_b = cast(tuple[bool, frozenset[str]], value_b)
    if neg_a and neg_b:
        return True
    if neg_a:
        return bool(chars_b - chars_a)
    if neg_b:
        return bool(chars_a - chars_b)
    return bool(chars_a & chars_b)


def _in_set(ch: str, value: tuple[bool, frozenset[str]]) -> bool:
    negate, chars = value
    return (ch in chars) != negate


def _segment_meet(a: tuple[Token, ...], b: tuple[Token, ...]) -> bool:
    @cache
    def meet(i: int, j: int) -> bool:
        if i == len(a) and j == len(b):
            return True
        if i < len(a) and a[i][0] == "star":
            if meet(i + 1, j) or (j < len(b) and meet(i, j + 1)):
                return True
        if j < len(b) and b[j][0] == "star":
            if meet(i, j + 1) or (i < len(a) and meet(i + 1, j)):
                return True
        if i == len(a) or j == len(b) or a[i][0] == "star" or b[j][0] == "star":
            return False
        return _char_sets_meet(a[i], b[j]) and meet(i + 1, j + 1)

    return meet(0, 0)


def _paths_meet(a: tuple[object, ...], b: tuple[object, ...]) -> bool:
    @cache
    def meet(i: int, j: int) -> bool:
        if i == len(a) and j == len(b):
            return True
        if i < len(a) and a[i] == "**":
            if meet(i + 1, j) or (j < len(b) and meet(i, j + 1)):
                return True
        if j < len(b) and b[j] == "**":
            if meet(i, j + 1) or (i < len(a) and meet(i + 1, j)):
                return True
        if i == len(a) or j == len(b) or a[i] == "**" or b[j] == "**":
            return False
        return _segment_meet(a[i], b[j]) and meet(i + 1, j + 1)  # type: ignore[arg-type]

    return meet(0, 0)


GLOB_CHARS = frozenset("*?[")


def is_glob(pattern: str) -> bool:
    return bool(GLOB_CHARS & set(pattern)) or pattern.strip().endswith("/")


def _rooted(pattern: str) -> tuple[object, ...]:
    """A task field's entry: a plain name is the path from the root, a glob stays a glob."""
    return _segments(pattern) if is_glob(pattern) else _segments(pattern, literal=True)


def matches(path: str, pattern: str, rooted: bool = False) -> bool:
    """Does the file `path` (relative to the repository root) match `pattern`? `rooted`: the
    pattern is a task's field entry (see the module's docstring)."""
    return _paths_meet(
        _segments(path, literal=True), _rooted(pattern) if rooted else _segments(pattern)
    )


@lru_cache(maxsize=1 << 16)  # a prompt asks it of each rule and path: 10,000 prompts, often
def overlap(a: str, b: str, rooted_a: bool = False, rooted_b: bool = False) -> bool:
    """Can some path match both globs (either may be a plain path)?"""
    return _paths_meet(
        _rooted(a) if rooted_a else _segments(a), _rooted(b) if rooted_b else _segments(b)
    )


def any_overlap(
    patterns_a: Sequence[str],
    patterns_b: Sequence[str],
    rooted_a: bool = False,
    rooted_b: bool = False,
) -> tuple[str, str] | None:
    """The first pair, one from each side, that can match the same path; `rooted_a`/`rooted_b`
    when a side is a task's own field."""
    for a in patterns_a:
        for b in patterns_b:
            if overlap(a, b, rooted_a, rooted_b):
                return a, b
    return None


def escapes_repo(path: str) -> bool:
    """An absolute path or one that climbs out with `..`."""
    raw = path.strip().replace("\\", "/")
    if raw.startswith("/") or (len(raw) > 1 and raw[1] == ":"):
        return True
    depth = 0
    for part in raw.split("/"):
        if part == "..":
            depth -= 1
            if depth < 0:
                return True
        elif part not in ("", "."):
            depth += 1
    return False
