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
    found = []
    fence = ""
    for number, line in enumerate(text.splitlines(), 1):
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
            found.append(Import(number, target, resolve(rel, target)))
    return found


def resolve(rel: str, target: str) -> str | None:
    if target.startswith(("~", "/")):
        return None
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(rel), target))
    return None if joined.startswith("../") or joined == ".." else joined
