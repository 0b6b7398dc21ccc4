"""Which rules, decisions and gotchas reach a task: always, by tag, or by glob, where a plain
entry of a task's inputs and outputs is the path it names and a glob meets a note's only where
the repository holds such files."""

from __future__ import annotations

from agentmd.files import globs
from agentmd.workspace.folder import Workspace
from agentmd.workspace.records import Note, Task, as_list


class Files:
    """The repository's files (tracked and untracked, not ignored), asked for only when a
    task's glob meets a note's: `docs/` and `*.py` can meet, but not in a repository whose
    docs/ holds no Python file."""

    LIMIT = 5000  # more files under one glob than this: trust the globs alone

    def __init__(self, ws: Workspace):
        self.ws = ws
        self._all: list[str] | None = None
        self._under: dict[str, list[str] | None] = {}

    def under(self, pattern: str) -> list[str] | None:
        """The files a task's glob covers; None when they cannot be listed or are too many."""
        if pattern not in self._under:
            if self._all is None:
                from agentmd import git

                result = git.run(
                    ["ls-files", "-co", "--exclude-standard", "-z"], self.ws.root, check=False
                )
                self._all = git.split_z(result.stdout) if result.returncode == 0 else []
            found = [f for f in self._all if globs.matches(f, pattern, rooted=True)]
            self._under[pattern] = found if 0 < len(found) <= self.LIMIT else None
        return self._under[pattern]


def routes(note_globs: tuple[str, ...], fields: tuple[str, ...], files: Files | None) -> bool:
    """Whether a note scoped to `note_globs` is about a task's `fields` (its inputs and
    outputs): a plain entry is that path; a glob entry, the files it covers when the
    repository has some (else any file it could name)."""
    for field_glob in fields:
        for note_glob in note_globs:
            if not globs.overlap(note_glob, field_glob, rooted_b=True):
                continue
            present = files.under(field_glob) if files and globs.is_glob(field_glob) else None
            if present is None or any(globs.matches(f, note_glob) for f in present):
                return True
    return False


def applies(note: Note, task: Task, tags: tuple[str, ...], files: Files | None = None) -> bool:
    """Whether a rule, decision or gotcha reaches a task's prompt."""
    if note.always:
        return True
    if note.applies_to and routes(note.applies_to, task.paths, files):
        return True
    if note.tags and set(note.tags) & set(tags):
        return True
    return False


def tags_of(task: Task) -> tuple[str, ...]:
    return as_list(task.record.fields.get("tags"))
