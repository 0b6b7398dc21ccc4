"""The managed workflow block in AGENTS.md, for every host (those without hooks read only this):
a few lines between marker comments; writing it or taking it out touches nothing outside them.

Its markers are its own (`agentmd:workflow`), so that other writers of AGENTS.md blocks (the
rules builder) keep theirs.
"""

from __future__ import annotations

START = "<!-- agentmd:workflow:start -->"
END = "<!-- agentmd:workflow:end -->"
BODY = """## Working with agentmd

This repository keeps its plan, tasks and handoffs in `.agents/` (front-mattered Markdown).

- Start: `agentmd prime` prints your task, or where the work stands; claim one with
  `agentmd next --claim --as NAME` (it prints the task's prompt).
- Change only the files in the task's `outputs`; run its checks with `agentmd verify ID`.
- Before you stop: `agentmd handoff new ID`, fill every section, `agentmd handoff check`.
- Finish with `agentmd done ID`, or `agentmd fail ID --reason "..."`.
"""
BLOCK = f"{START}\n{BODY}{END}\n"


def span(text: str) -> tuple[int, int] | None:
    """Where the block is (from its start marker to the end of its end marker's line)."""
    start = text.find(START)
    if start == -1:
        return None
    end = text.find(END, start)
    if end == -1:
        return None
    end += len(END)
    if text.startswith("\r\n", end):
        end += 2
    elif text.startswith("\n", end):
        end += 1
    return start, end


def written(text: str | None) -> str:
    """AGENTS.md with the block: replaced in place when it is there, else added at the end."""
    if not text:
        return BLOCK
    where = span(text)
    if where is not None:
        return text[: where[0]] + BLOCK + text[where[1] :]
    separator = "\n" if text.endswith("\n") else "\n\n"
    return text + separator + BLOCK


def outside(text: str) -> str:
    """`text` without the block (what a person wrote around it)."""
    where = span(text)
    return text if where is None else text[: where[0]] + text[where[1] :]


def removed(text: str) -> str | None:
    """AGENTS.md without the block and the blank line before it; None when nothing else is left."""
    where = span(text)
    if where is None:
        return text
    start, end = where
    if text.endswith("\n\n", 0, start):
        start -= 1  # the blank line `written` put before it
    rest = text[:start] + text[end:]
    return rest if rest.strip() else None
