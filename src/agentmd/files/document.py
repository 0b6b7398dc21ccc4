"""One front-mattered Markdown file: its exact text, its fields and where they are, its body."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from agentmd.files import frontmatter, sections, textfile
from agentmd.files.sections import Section


@dataclass
class Document:
    display: str  # the path as shown to the user
    text: str  # the whole file, BOM included: writing it back gives the same bytes
    fm: frontmatter.FrontMatter | None
    fields: dict[str, Any] = field(default_factory=dict)

    @property
    def body(self) -> str:
        return self.text[self.fm.body_start :] if self.fm else self.text.lstrip("\ufeff")

    @property
    def body_line(self) -> int:
        return self.fm.body_line if self.fm else 1

    @cached_property
    def key_lines(self) -> dict[str, int]:
        return frontmatter.key_lines(self.fm) if self.fm else {}

    @cached_property
    def sections(self) -> list[Section]:
        return sections.parse(self.body, self.body_line)

    def section(self, *titles: str) -> Section | None:
        return sections.find(self.sections, *titles)

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.fm.first_line - 1 if self.fm else 1)


def parse(text: str, display: str) -> Document:
    """Raises LocatedError for front matter that does not split or load."""
    fm = frontmatter.split(text, display)
    fields = frontmatter.load(fm, display) if fm else {}
    return Document(display, text, fm, fields)


def read(path: Path, display: str) -> Document:
    return parse(textfile.read_text(path, display), display)
