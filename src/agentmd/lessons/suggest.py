"""`lessons adopt --suggest`: the model proposes the kind, the wording and the globs of the note a
lesson becomes; the answer is checked like a hand-written file (sent back once with the
problems), and nothing is written unless it passes."""

from __future__ import annotations

from agentmd.api.client import Client
from agentmd.errors import AgentmdError
from agentmd.files import globs
from agentmd.lessons.adopt import KINDS, MAX_TITLE, Proposal
from agentmd.lessons.found import Lesson, find
from agentmd.workspace.folder import Workspace

MAX_TOKENS = 1024
TOOL = {
    "name": "write_note",
    "description": "The note a lesson from a handoff becomes.",
    "input_schema": {
        "type": "object",
        "properties": {
            "kind": {"type": "string", "enum": list(KINDS)},
            "title": {"type": "string"},
            "text": {"type": "string"},
            "applies_to": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["kind", "title", "text", "applies_to"],
    },
}
INSTRUCTIONS = """\
A coding agent's session recorded a lesson for future sessions. Turn it into one note through
the write_note tool:
- kind: gotcha (a trap in specific files), decision (a choice and its reason), or rule (how to
  work, always or in some files);
- title: one line, at most 72 characters;
- text: the lesson, concrete (files, functions, commands), in one short paragraph;
- applies_to: globs of the repository files the note is about, relative to its root; [] only for
  a project-wide note. Prefer the files the task changed."""


def suggest_note(
    ws: Workspace,
    ref: str,
    kind: str | None,
    applies_to: tuple[str, ...],
    client: Client | None = None,
) -> Proposal:
    lesson = find(ws, ref)
    client = client or Client.for_workspace(ws)
    answer, problems = client.ask(
        system=[INSTRUCTIONS],
        prompt=_prompt(lesson, kind),
        tool=TOOL,
        validate=lambda data: validate(data, kind),
        max_tokens=MAX_TOKENS,
    )
    if problems:
        raise AgentmdError(
            "the model's note is not usable, even when asked again; nothing was written:\n"
            + "\n".join(f"  - {p}" for p in problems),
            "adopt it by hand: agentmd lessons adopt REF --as gotcha|decision|rule",
        )
    return Proposal(
        kind or answer["kind"],
        answer["title"].strip(),
        answer["text"].strip(),
        applies_to or tuple(p.strip() for p in answer["applies_to"]),
    )


def _prompt(lesson: Lesson, kind: str | None) -> str:
    files = ", ".join(lesson.files) or "none recorded"
    wanted = f"\nIt must be a {kind}." if kind else ""
    return (
        f"Lesson {lesson.ref}, from the handoff of task `{lesson.task}`; the task changed: "
        f"{files}.\n\n{lesson.text}{wanted}"
    )


def validate(data: dict, kind: str | None) -> list[str]:
    problems = []
    if data.get("kind") not in KINDS:
        problems.append(f"kind must be one of {', '.join(KINDS)}")
    elif kind and data["kind"] != kind:
        problems.append(f"kind must be {kind}")
    title = data.get("title")
    if not isinstance(title, str) or not title.strip() or "\n" in title.strip():
        problems.append("title must be one non-empty line")
    elif len(title.strip()) > MAX_TITLE:
        problems.append(f"title is {len(title.strip())} characters, more than {MAX_TITLE}")
    if not isinstance(data.get("text"), str) or not data["text"].strip():
        problems.append("text must not be empty")
    patterns = data.get("applies_to")
    if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
        problems.append("applies_to must be a list of globs")
    else:
        problems += [
            f"applies_to '{p}' leaves the repository" for p in patterns if globs.escapes_repo(p)
        ]
    return problems
