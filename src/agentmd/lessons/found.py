"""The lessons handoffs record under `## Lessons`, each with a reference (`<handoff>#<n>`), its
task and the files that task changed; and which of them a person already adopted or dismissed."""

from __future__ import annotations

import re
from typing import NamedTuple

from agentmd import AGENTS_DIR
from agentmd.errors import AgentmdError, LocatedError
from agentmd.files import document, textfile
from agentmd.handoffs.names import order_key, sections_of
from agentmd.handoffs.reading import NONE_RE, _body_lines, artifact_items
from agentmd.workspace.folder import Workspace
from agentmd.workspace.records import Handoff, as_list

HEADING_RE = re.compile(r"^#{1,6}[ \t]+(?:lessons|lessons for next time|learnings)\b", re.I | re.M)
ITEM_RE = re.compile(r"^(?:[-*+]|\d+[.)])[ \t]+(.*)$")
LOG_RE = re.compile(r"^- \S+ lesson-(adopted|dismissed) (\S+)(?:: (.*))?$")


class Lesson(NamedTuple):
    ref: str  # <handoff file stem>#<n>, n from 1
    handoff: str  # relative to .agents/
    task: str
    line: int  # of the item, in the handoff
    text: str
    files: tuple[str, ...]  # what the task changed (its Artifacts), then its outputs


def lessons_of(ws: Workspace, handoff: Handoff) -> list[Lesson]:
    try:
        text = textfile.read_text(ws.agents / handoff.path, ws.display(handoff.path))
    except LocatedError:
        return []
    if not HEADING_RE.search(text):
        return []  # most handoffs: not worth parsing as Markdown (3,000 of them take seconds)
    try:
        doc = document.parse(text, ws.display(handoff.path))
    except LocatedError:
        return []
    section = sections_of(doc).get("Lessons")
    if section is None or NONE_RE.match(section.full.strip()):
        return []
    body = doc.body.split("\n")
    first = section.line + 1  # file lines of the section's text: after its heading
    lines = body[first - doc.body_line : section.end_line - doc.body_line]
    items: list[tuple[int, list[str]]] = []
    for offset, raw in enumerate(lines):
        match = ITEM_RE.match(raw)
        if match:
            items.append((first + offset, [match.group(1).strip()]))
        elif items and raw.strip() and raw[:1].isspace():
            items[-1][1].append(raw.strip())
    if not items and section.full.strip():
        items = [(section.line + 1, [section.full.strip()])]
    found = sections_of(doc).get("Artifacts")
    changed = tuple(p for _, p in artifact_items(list(_body_lines(doc)), found)) if found else ()
    task = ws.tasks.get(handoff.task)
    files = tuple(dict.fromkeys((*changed, *(task.outputs if task else ()))))
    stem = handoff.path.rsplit("/", 1)[-1].removesuffix(".md")
    return [
        Lesson(f"{stem}#{n}", handoff.path, handoff.task, line, " ".join(words), files)
        for n, (line, words) in enumerate(items, 1)
    ]


def all_lessons(ws: Workspace, task: str | None = None) -> list[Lesson]:
    """Every lesson (of one task's handoffs, when given), newest handoff first, in the order
    each handoff lists them."""
    lessons = []
    for handoff in sorted(ws.handoffs, key=lambda h: order_key(h.path), reverse=True):
        if task is None or handoff.task == task:
            lessons += lessons_of(ws, handoff)
    return lessons


def decided(ws: Workspace) -> dict[str, str]:
    """ref -> what became of it: the note that adopted it, or the dismissal's reason."""
    done: dict[str, str] = {}
    for note in (*ws.decisions, *ws.gotchas, *ws.rules):
        for ref in as_list(note.record.fields.get("lesson")):
            done[ref] = f"adopted as {AGENTS_DIR}/{note.path}"
    from agentmd.memory.log import log_lines

    for line in log_lines(ws):
        match = LOG_RE.match(line.strip())
        if match and match.group(2) not in done:
            kind, ref, detail = match.groups()
            done[ref] = f"{kind}: {detail}" if detail else kind
    return done


def new_lessons(ws: Workspace, task: str | None = None) -> list[Lesson]:
    found = all_lessons(ws, task)
    if not found:
        return []
    done = decided(ws)
    return [lesson for lesson in found if lesson.ref not in done]


def find(ws: Workspace, ref: str) -> Lesson:
    for lesson in all_lessons(ws):
        if lesson.ref == ref:
            return lesson
    raise AgentmdError(
        f"no lesson '{ref}'", "'agentmd lessons' lists them as <handoff>#<n>, newest first"
    )
