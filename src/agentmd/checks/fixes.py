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
            fixed = frontmatter.suggest_quote(lines[index].rstrip("\r\n"))
            if fixed is None:
                return text, fixes
            lines[index] = fixed + ending
            text = "".join(lines)
            fixes.append(Fix(display, index + 1, f"quoted the value: {fixed.strip()}"))
    else:
        return text, fixes
    if not is_task:
        return text, fixes
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


def fix_file(path: Path, display: str, settings: Settings, is_task: bool) -> list[Fix]:
    try:
        text = textfile.read_text(path, display)
    except LocatedError:
        return []
    new, fixes = fix_text(text, display, settings, is_task)
    if fixes and new != text:
        textfile.atomic_write(path, new)
    return fixes
