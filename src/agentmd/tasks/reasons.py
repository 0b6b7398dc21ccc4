"""A failure's reason as one line: what the loop prints per attempt and `status` shows for a
failed task, the problems themselves rather than a heading that ends in a colon."""

from __future__ import annotations

import re

ERROR_LINE = re.compile(r"\b\w*(?:Error|Exception|FAILED|FAIL)\b")


def one_line(reason: str, limit: int = 600) -> str:
    """A reason as one line: its heading and then each `- ` item (a command that failed with
    the line of its output that names the error), not only the heading ('review found
    problems:' said nothing)."""
    lines = reason.splitlines()
    if not lines:
        return ""
    items = []
    for at, line in enumerate(lines[1:], 1):
        if not line.startswith("- "):
            continue  # a log tail, or an item's output
        item = line[2:].strip()
        if item.endswith(":"):  # a command and its output below: say what the output ends with
            said = telling_line(lines[at + 1 :])
            item += f" {said}" if said else ""
        items.append(item)
    text = lines[0] + (" " + "; ".join(items) if items else "")
    if not items and text.endswith(":"):  # a heading over a log's tail: the line that says most
        rest = [line.strip() for line in lines[1:] if line.strip()]
        named = [line for line in rest if ERROR_LINE.search(line)]
        text += f" {(named or rest)[-1]}" if rest else ""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def telling_line(output: list[str]) -> str:
    """Of a command's output (its indented lines, up to the next item), the line that says most:
    the last that names an error, else the last line."""
    block = []
    for line in output:
        if not line.startswith(" "):
            break
        if line.strip():
            block.append(line.strip().removeprefix("E ").strip())
    named = [line for line in block if ERROR_LINE.search(line)]
    return (named or block or [""])[-1]
