"""The handoff's sections and the other names real handoffs give them."""

from __future__ import annotations

import re
from functools import lru_cache

from agentmd.files.document import Document
from agentmd.files.sections import Section, normalise

SECTIONS = (
    "Summary",
    "Completed",
    "Remaining",
    "Decisions",
    "Gotchas",
    "Next action",
    "Artifacts",
    "Verification",
)

# Headings other tools and people use for the same content (matched after normalising).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "Summary": (
        "summary", "overview", "tl dr", "tldr", "status", "current state", "current status",
        "session summary",
    ),
    "Completed": (
        "completed", "done", "what was done", "work completed", "accomplished", "changes",
        "changes made", "progress", "completed work",
    ),
    "Remaining": (
        "remaining", "todo", "to do", "remaining work", "open items", "outstanding", "pending",
        "not done", "blockers",
    ),
    "Decisions": (
        "decisions", "key decisions", "decisions made", "design decisions", "technical decisions",
    ),
    "Gotchas": (
        "gotchas", "known issues", "issues", "warnings", "caveats", "pitfalls", "lessons learned",
        "risks", "problems",
    ),
    "Next action": (
        "next action", "next actions", "next step", "next steps", "next", "immediate next steps",
        "recommended next steps",
    ),
    "Artifacts": (
        "artifacts", "files changed", "files modified", "changed files", "files", "modified files",
        "files touched",
    ),
    "Verification": (
        "verification", "tests", "testing", "test results", "how to verify", "validation", "checks",
    ),
    # optional: what future sessions should learn from this one
    "Lessons": ("lessons", "lessons for next time", "learnings"),
}  # fmt: skip
OPTIONAL = ("Lessons",)  # checked when present, never required


BY_NAME = {synonym: name for name, names in reversed(SYNONYMS.items()) for synonym in names}
# One-word names too general to name a section when a heading only starts with them ("Next
# release", "Tests added", "Files to read")
GENERAL = frozenset("next files issues done changes status progress tests checks todo".split())
ALTERNATIVES_RE = re.compile(r"/|&|\+|,|;|\band\b", re.I)


def canonical(title: str) -> str | None:
    """The section a heading names: one of its names (normalised), else one of the names it
    joins ("Known Issues / Risks"), else the name it starts with ("Verification run")."""
    key = normalise(title)
    if key in BY_NAME:
        return BY_NAME[key]
    parts = [normalise(part) for part in ALTERNATIVES_RE.split(title)]
    for part in parts if len(parts) > 1 else ():
        if part in BY_NAME:
            return BY_NAME[part]
    words = key.split()
    for n in range(min(3, len(words) - 1), 0, -1) if len(words) <= 4 else ():
        start = " ".join(words[:n])
        if start in BY_NAME and start not in GENERAL:
            return BY_NAME[start]
    return None


def sections_of(doc: Document) -> dict[str, Section]:
    """The handoff's sections by canonical name; the first heading of each kind wins."""
    found: dict[str, Section] = {}
    for section in doc.sections:
        name = canonical(section.title)
        if name is not None and name not in found:
            found[name] = section
    return found


@lru_cache(maxsize=65536)  # the loop sorts the same names every cycle
def order_key(path: str) -> str:
    """Sorts handoff file names by when they were written: numbers by value, so that
    `2026-11-22-x-10.md` follows `2026-11-22-x-2.md`, and `2026-11-22-x.md` comes first of its
    day (a second handoff the same day is `<date>T<hhmmss>-<id>.md` or `<date>-<id>-2.md`).
    The key is a string, compared in C: each run of text starts with \x01, each number is \x00,
    its digit count and its digits (leading zeros dropped), so a number sorts before text and
    numbers by value: the order of comparing the runs one by one, at half the cost."""
    stem = path.rpartition("/")[2].removesuffix(".md")
    return "\x01" + _DIGITS.sub(_number, stem)


_DIGITS = re.compile(r"[0-9]+")


def _number(match: re.Match) -> str:
    digits = match.group().lstrip("0")
    return f"\x00{chr(48 + len(digits))}{digits}\x01"


# What `handoff new` writes under each heading it cannot fill from git: left as is, it is
# flagged as unfilled.
PROMPTS: dict[str, str] = {
    "Summary": "Two or three sentences: what this session did and where it stopped.",
    "Completed": "Each item concrete: the file, function or command, and what it does now.",
    "Remaining": 'Each item actionable, or "None" when the task is done.',
    "Decisions": "Each decision with its rationale.",
    "Gotchas": 'Traps the next session should know about, or "None".',
    "Next action": "The one thing the next session does first.",
    "Lessons": 'Each a lesson for future sessions (a trap, a convention, a decision), or "None".',
}
