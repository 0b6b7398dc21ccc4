"""The marks agentmd leaves: a generated file says so on its own line; into a file a person
wrote, agentmd writes only between its start and end comments."""

from __future__ import annotations

import re

GENERATED_TAG = "<!-- agentmd:generated"
GENERATED_RE = re.compile(r"<!-- agentmd:generated for ([a-z, ]+?)(?: from |:)")
START = "<!-- agentmd:rules:start -->"
END = "<!-- agentmd:rules:end -->"


DIGEST_RE = re.compile(r"\(digest ([0-9a-f]{12})\) -->")


def generated(hosts: list[str], digest: str = "") -> str:
    """The line that marks a file agentmd wrote, naming the hosts it was written for, and the
    digest of what it wrote (`content_digest`): a hand edit since is told from a rule changed."""
    made = f"{GENERATED_TAG} for {', '.join(hosts)} from .agents/rules/ by `agentmd rules build`"
    return f"{made} (digest {digest}) -->" if digest else f"{made} -->"


def content_digest(text: str) -> str:
    """Of a generated file: every line but its marker line, each without trailing blanks, the
    workflow block `agentmd setup` adds to AGENTS.md left out (setup's, not the build's)."""
    import hashlib

    from agentmd.hosts import agents_block

    lines = [
        line.rstrip()
        for line in agents_block.outside(text).splitlines()
        if not line.startswith(GENERATED_TAG)
    ]
    data = "\n".join(lines).strip().encode("utf-8", "surrogateescape")
    return hashlib.sha256(data).hexdigest()[:12]


def edited_by_hand(text: str) -> bool:
    """A generated file whose text is not what its marker says the build wrote."""
    marker = next((line for line in text.splitlines()[:40] if line.startswith(GENERATED_TAG)), "")
    found = DIGEST_RE.search(marker)
    return found is not None and found.group(1) != content_digest(text)


def is_generated(text: str) -> bool:
    return any(line.startswith(GENERATED_TAG) for line in text.splitlines()[:40])


def generated_for(text: str) -> list[str]:
    """The hosts a generated file names."""
    match = GENERATED_RE.search("\n".join(text.splitlines()[:40]))
    return [h.strip() for h in match.group(1).split(",") if h.strip()] if match else []


def block_span(text: str) -> tuple[int, int] | None:
    """Offsets of the managed block, markers included (the end marker's line ending too)."""
    start = text.find(START)
    if start < 0:
        return None
    end = text.find(END, start)
    if end < 0:
        return None
    stop = end + len(END)
    if text.startswith("\r\n", stop):
        stop += 2
    elif text.startswith("\n", stop):
        stop += 1
    return start, stop


def block(content: str, newline: str = "\n") -> str:
    inner = content.rstrip("\n")
    text = f"{START}\n{inner}\n{END}\n" if inner else f"{START}\n{END}\n"
    return text.replace("\n", newline) if newline != "\n" else text


def with_block(text: str, content: str) -> str:
    """`text` with its managed block holding `content`; every byte outside it kept. A file
    without a block gets one at its end, after a blank line."""
    newline = "\r\n" if "\r\n" in text else "\n"
    span = block_span(text)
    if span is not None:
        return text[: span[0]] + block(content, newline) + text[span[1] :]
    if not text:
        return block(content, newline)
    sep = "" if text.endswith(newline * 2) else newline if text.endswith(newline) else newline * 2
    return text + sep + block(content, newline)


def outside(text: str) -> str:
    """The text a person wrote: the managed block taken out."""
    span = block_span(text)
    return text if span is None else text[: span[0]] + text[span[1] :]
