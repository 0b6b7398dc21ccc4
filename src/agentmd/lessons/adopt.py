"""A lesson adopted as a gotcha, a decision or a rule (a file the next tasks' prompts route by
`applies_to`, linked back to its handoff), or dismissed with a reason; both recorded in the log,
so that a lesson is never offered twice."""

from __future__ import annotations

import re
from typing import NamedTuple

from agentmd.checks import fields
from agentmd.clock import now
from agentmd.errors import AgentmdError, LocatedError
from agentmd.files import document, textfile
from agentmd.files.edit import double_quote
from agentmd.lessons.found import Lesson, decided, find
from agentmd.tasks.lifecycle import changing, log
from agentmd.workspace.folder import Workspace

KINDS = {"gotcha": "memory/gotchas", "decision": "memory/decisions", "rule": "rules"}
MAX_TITLE = 72


class Adopted(NamedTuple):
    rel: str  # the file written, relative to .agents/
    applies_to: tuple[str, ...]


class Proposal(NamedTuple):
    """What a note made of a lesson says: by hand from the lesson, or as a model suggests."""

    kind: str
    title: str
    text: str
    applies_to: tuple[str, ...]


def propose(lesson: Lesson, kind: str, applies_to: tuple[str, ...] = ()) -> Proposal:
    """The lesson's words as they are, its first sentence the title, the files its task changed
    (or its outputs) as `applies_to` unless given."""
    return Proposal(kind, _title(lesson.text), lesson.text, applies_to or lesson.files)


def note_text(lesson: Lesson, proposal: Proposal, today: str) -> str:
    up = "../.." if proposal.kind != "rule" else ".."
    lines = ["---", f"title: {double_quote(proposal.title)}", f"date: {today}"]
    if proposal.applies_to:
        lines.append("applies_to:")
        lines += [f"  - {double_quote(p)}" for p in proposal.applies_to]
    lines += [f"lesson: {double_quote(lesson.ref)}", "---"]
    handoff = lesson.handoff.rsplit("/", 1)[-1]
    source = (
        f"From the lessons of [{handoff}]({up}/{lesson.handoff}) (task `{lesson.task}`)."
        if lesson.task
        else f"From the lessons of [{handoff}]({up}/{lesson.handoff})."
    )
    return "\n".join(lines) + f"\n{proposal.text.strip()}\n\n{source}\n"


def adopt(
    ws: Workspace, ref: str, kind: str, applies_to: tuple[str, ...] = (), proposal=None
) -> Adopted:
    if kind not in KINDS:
        raise AgentmdError(f"--as must be one of {', '.join(KINDS)}, not '{kind}'")
    lesson = _open(ws, ref)
    proposal = proposal or propose(lesson, kind, applies_to)
    today = now().date().isoformat()
    text = note_text(lesson, proposal, today)
    rel = _free(ws, f"{KINDS[proposal.kind]}/{_slug(proposal.title)}.md")
    _checked(ws, rel, text)
    with changing(ws):
        if not textfile.create_exclusive(ws.agents / rel, text):
            raise AgentmdError(f"{ws.display(rel)} exists already", "run it again")
        log(ws, "lesson-adopted", lesson.ref, f"as {proposal.kind} {ws.display(rel)}")
    ws.refresh()
    return Adopted(rel, proposal.applies_to)


def dismiss(ws: Workspace, ref: str, reason: str) -> Lesson:
    if not reason.strip():
        raise AgentmdError("--reason is empty", "say why the lesson is not worth keeping")
    lesson = _open(ws, ref)
    with changing(ws):
        log(ws, "lesson-dismissed", lesson.ref, reason.strip())
    return lesson


def _open(ws: Workspace, ref: str) -> Lesson:
    lesson = find(ws, ref)
    done = decided(ws).get(lesson.ref)
    if done:
        raise AgentmdError(
            f"lesson {lesson.ref} is already {done}", "'agentmd lessons' lists the new ones"
        )
    return lesson


def _checked(ws: Workspace, rel: str, text: str) -> None:
    """The note is checked like a hand-written one before anything is written."""
    display = ws.display(rel)
    doc = document.parse(text, display)
    problems = fields.check_note(display, doc.fields, doc.key_lines)
    problems += [p for p in fields.duplicate_keys(doc.fm, display)] if doc.fm else []
    if problems:
        raise LocatedError(problems[0])


def _title(text: str) -> str:
    plain = re.sub(r"[`*]", "", text).strip()  # code spans and emphasis; names keep their _
    first = re.split(r"(?<=[.!?:;])\s", plain, maxsplit=1)[0].rstrip(".:;")
    return first if len(first) <= MAX_TITLE else first[: MAX_TITLE - 3].rstrip() + "..."


def _slug(title: str) -> str:
    words = re.findall(r"[a-z0-9]+", title.lower())[:6]
    return "-".join(words) or "lesson"


def _free(ws: Workspace, rel: str) -> str:
    stem, n, candidate = rel[:-3], 2, rel
    while (ws.agents / candidate).exists():
        candidate, n = f"{stem}-{n}.md", n + 1
    return candidate
