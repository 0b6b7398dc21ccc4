"""`@path` imports, as Claude Code and Gemini CLI expand them: outside code spans and fenced
blocks, relative to the importing file, up to five hops, each file once (so a cycle ends)."""

from __future__ import annotations

import posixpath
import re
from typing import NamedTuple

MAX_HOPS = 5
FENCE_RE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})")
SPAN_RE = re.compile(r"(`+).*?\1")
IMPORT_RE = re.compile(r"(?<![\w`@/.])@((?:~|\.{1,2})?/?(?:[\w.-]+/)*[\w.-]*[\w-])")


class Import(NamedTuple):
    line: int  # 1-based, in the importing file
    target: str  # as written
    path: str | None  # relative to the repository root; None when outside it


def imports_of(text: str, rel: str) -> list[Import]:
    """Each `@path` in `text` (the file `rel`), in order, code left out."""
    return [found for found, _, _ in _scan(text, rel)]


def _scan(text: str, rel: str):
    """(import, line index, (start, end) of its target in that line) for each import."""
    fence = ""
    for index, line in enumerate(text.splitlines()):
        opened = FENCE_RE.match(line)
        if fence:
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = ""
            continue
        if opened:
            fence = opened.group(1)
            continue
        plain = SPAN_RE.sub(lambda m: " " * len(m.group(0)), line)
        for match in IMPORT_RE.finditer(plain):
            target = match.group(1).rstrip(".")
            start = match.start(1)
            yield (
                Import(index + 1, target, resolve(rel, target)),
                index,
                (start, start + len(target)),
            )


def rebase(text: str, rel_from: str, rel_to: str, exists=lambda rel: True) -> str:
    """`text`, written as the file `rel_from`, moved to `rel_to`: each import of a file of the
    repository (`exists`) rewritten so that it still names that file (hosts resolve an import
    from the file that holds it); any other `@word` is text, and stays as it is."""
    if posixpath.dirname(rel_from) == posixpath.dirname(rel_to) or "@" not in text:
        return text
    lines = text.splitlines(keepends=True)
    edits: dict[int, list[tuple[int, int, str]]] = {}
    for found, index, (start, end) in _scan(text, rel_from):
        if found.path is not None and exists(found.path):
            moved = posixpath.relpath(found.path, posixpath.dirname(rel_to) or ".")
            edits.setdefault(index, []).append((start, end, moved))
    for index, spans in edits.items():
        line = lines[index]
        for start, end, moved in reversed(spans):
            line = line[:start] + moved + line[end:]
        lines[index] = line
    return "".join(lines)


def resolve(rel: str, target: str) -> str | None:
    if target.startswith(("~", "/")):
        return None
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(rel), target))
    return None if joined.startswith("../") or joined == ".." else joined
