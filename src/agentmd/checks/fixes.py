"""`agentmd check --fix`: only safe, surgical fixes, each one line, never a reformatted file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from agentmd.errors import LocatedError
from agentmd.files import frontmatter, textfile
from agentmd.files.edit import Editor
from agentmd.workspace.records import PRIORITIES, Settings

MAX_PASSES = 50


@dataclass(frozen=True)
class Fix:
    display: str
    line: int
    what: str

    def render(self) -> str:
        return f"fixed {self.display}:{self.line}: {self.what}"


def fix_text(text: str, display: str, settings: Settings, is_task: bool) -> tuple[str, list[Fix]]:
    """The text with its safe fixes applied, and what they were."""
    fixes: list[Fix] = []
    for _ in range(MAX_PASSES):
        try:
            fm = frontmatter.split(text, display)
            if fm is None:
                return text, fixes
            fields = frontmatter.load(fm, display)
            break
        except LocatedError as exc:
            if exc.problem.code != "yaml":
                return text, fixes
            lines = frontmatter.split_lines(text)
            index = exc.problem.line - 1
            if not 0 <= index < len(lines):
                return text, fixes
            ending = lines[index][len(lines[index].rstrip("\r\n")) :]
            line = lines[index].rstrip("\r\n")
            indent = line[: len(line) - len(line.lstrip(" \t"))]
            count = 1
            if "\t" in indent:
                # YAML forbids tabs there: two spaces each, which the file's other lines use
                fixed = indent.replace("\t", "  ") + line[len(indent) :]
                what = "indented with spaces, not tabs"
            else:
                quoted = frontmatter.quote_fix(lines, index)
                if quoted is None:
                    return text, fixes
                fixed, count = quoted  # a value over several lines: joined onto the one
                joined = f" (its {count} lines joined)" if count > 1 else ""
                what = f"quoted the value{joined}: {fixed.strip()}"
            lines[index : index + count] = [fixed + ending]
            text = "".join(lines)
            fixes.append(Fix(display, index + 1, what))
    else:
        return text, fixes
    if not is_task:
        return text, fixes
    text, item_fixes = _quote_items(text, fm, fields, display)
    fixes += item_fixes
    if item_fixes:
        fm = frontmatter.split(text, display) or fm
    editor = Editor(text, display)
    lines_of = frontmatter.key_lines(fm)
    for key, allowed in (("status", settings.statuses), ("priority", PRIORITIES)):
        value = fields.get(key)
        if (
            isinstance(value, str)
            and value.strip() not in allowed
            and value.strip().lower() in allowed
        ):
            editor.set(key, value.strip().lower())
            fixes.append(
                Fix(display, lines_of.get(key, 1), f"{key} '{value}' -> '{value.strip().lower()}'")
            )
    return editor.text, fixes


LIST_KEYS = ("verify", "inputs", "outputs", "depends_on", "tags")


def _quote_items(text: str, fm, fields: dict, display: str) -> tuple[str, list[Fix]]:
    """A list item YAML read as a mapping (`- echo x: y`) was meant as text: quote it, on its
    own line, keeping any comment after it."""
    import re

    lines = frontmatter.split_lines(text)
    start = fm.first_line - 1  # index of the front matter's first line in the file
    fixes = []
    for key in LIST_KEYS:
        value = fields.get(key)
        if not isinstance(value, list):
            continue
        for item in value:
            if not (isinstance(item, dict) and len(item) == 1):
                continue
            (name, inner), = item.items()
            if not isinstance(inner, str | int | float) or isinstance(inner, bool):
                continue
            words = rf"{re.escape(str(name))}:[ \t]+{re.escape(str(inner))}"
            pattern = re.compile(rf"[ \t]*-[ \t]+{words}(?:[ \t]+#.*)?\Z")
            for index in range(start, min(start + fm.raw.count("\n") + 1, len(lines))):
                line = lines[index].rstrip("\r\n")
                if not pattern.match(line):
                    continue
                quoted = frontmatter.suggest_quote(line)
                if quoted is None:
                    break
                lines[index] = quoted + lines[index][len(line) :]
                fixes.append(Fix(display, index + 1, f"quoted the item: {quoted.strip()}"))
                break
    return "".join(lines), fixes


def fix_file(path: Path, display: str, settings: Settings, is_task: bool) -> list[Fix]:
    try:
        text = textfile.read_text(path, display)
    except LocatedError:
        return []
    new, fixes = fix_text(text, display, settings, is_task)
    if fixes and new != text:
        textfile.atomic_write(path, new)
    return fixes
