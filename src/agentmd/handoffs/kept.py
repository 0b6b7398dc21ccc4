"""Each handoff's findings kept between checks in one long-lived process (the loop), so that a
check after one task file changed does not judge 3,000 handoffs again.

A committed handoff's findings follow from its text, the commits its base and its last commit
name (which cannot change), the task ids and outputs, and which of the paths it names exist.
So they are kept until its file changes (the index gives a new record for it), a commit
touches it, the task ids or outputs change, HEAD moves to a commit that does not descend from
the last one, a folder that holds a path it names gains or loses an entry (the folder's
mtime or inode moves; a folder changed within the racy window keeps nothing, as git's racy
rule), or the repository's .gitignore or .git/info/exclude changes (a path git ignores is no
claim of a file). A handoff not committed yet is held to the working tree's diff, which any
edit moves: it is judged every time."""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, NamedTuple

from agentmd import AGENTS_DIR, git

if TYPE_CHECKING:
    from pathlib import Path

    from agentmd.errors import Problem
    from agentmd.handoffs.reading import Reading
    from agentmd.workspace.records import Record

RACY_NS = 2_000_000_000  # as workspace.folder's: a folder changed this recently may change again
FolderKey = tuple[int, int] | None  # (mtime_ns, inode), None when it does not exist


class Entry(NamedTuple):
    record: Record  # the record it was judged from: the index hands back the same one unchanged
    folders: tuple[tuple[str, FolderKey], ...]  # each folder its named paths are in, as it was
    findings: list[Problem]


class Kept:
    """The findings of one process's last check, by handoff path (under .agents/)."""

    def __init__(self) -> None:
        self.entries: dict[str, Entry] = {}
        self.head: str | None = None
        self.context: tuple | None = None
        self.ignores: tuple | None = None  # the stat keys of what says which paths git ignores
        self.root = "."
        self._folders: dict[str, FolderKey] = {}  # this check's look at each folder
        self._now = 0

    def begin(self, root: Path, context: tuple) -> None:
        """Start a check: drop what the commits since the last one, or `context` (what every
        judgement reads of the tasks), make stale."""
        self.root, self._folders, self._now = str(root), {}, time.time_ns()
        head = git.head(root)
        ignores = _ignores_key(root)
        if context != self.context or head is None or self.head is None or ignores != self.ignores:
            self.entries = {}
        elif head != self.head:
            touched = _touched(root, self.head, head)
            if touched is None:
                self.entries = {}
            for path in touched or ():
                self.entries.pop(path, None)
        self.context, self.head, self.ignores = context, head, ignores

    def get(self, record: Record) -> list[Problem] | None:
        """The findings kept for `record`, when nothing they follow from has changed."""
        entry = self.entries.get(record.path)
        if entry is None or entry.record is not record:
            return None
        for folder, key in entry.folders:
            if key is None or self._folder(folder) != key:
                return None
        return entry.findings

    def folders(self, reading: Reading) -> tuple[tuple[str, FolderKey], ...]:
        """Each folder of the paths `reading` names, looked at now: before the judge looks at
        the paths, so that what it sees is never older than what is kept."""
        paths = [path for path, _, _ in reading.named]
        paths += [path for path, _, _ in reading.planned]
        paths += [word for _, _, words in reading.plain_items for word in words]
        names = {path.rstrip("/").rpartition("/")[0] for path in paths}
        return tuple((name, self._folder(name)) for name in sorted(names))

    def put(
        self,
        record: Record,
        folders: tuple[tuple[str, FolderKey], ...],
        committed: bool,
        findings: list[Problem],
    ) -> None:
        if committed:
            self.entries[record.path] = Entry(record, folders, findings)
        else:
            self.entries.pop(record.path, None)

    def _folder(self, name: str) -> FolderKey:
        if name in self._folders:
            return self._folders[name]
        try:
            st = os.stat(f"{self.root}/{name}" if name else self.root)
        except OSError:
            key: FolderKey = (-1, -1)
        else:
            key = None if st.st_mtime_ns >= self._now - RACY_NS else (st.st_mtime_ns, st.st_ino)
        self._folders[name] = key
        return key


def _ignores_key(root: Path) -> tuple:
    """The stat keys of the repository's .gitignore and .git/info/exclude (None: not there)."""
    keys: list[tuple[int, int, int] | None] = []
    for name in (".gitignore", ".git/info/exclude"):
        try:
            st = os.stat(f"{root}/{name}")
            keys.append((st.st_mtime_ns, st.st_size, st.st_ino))
        except OSError:
            keys.append(None)
    return tuple(keys)


def _touched(root: Path, old: str, new: str) -> set[str] | None:
    """The handoffs (paths under .agents/) the commits from `old` to `new` touched; None when
    `new` does not descend from `old` (a reset, a rebase): then every end may have moved."""
    if git.run(["merge-base", "--is-ancestor", old, new], root, check=False).returncode != 0:
        return None
    folder = f"{AGENTS_DIR}/handoffs/"
    log = git.run(
        ["log", "--relative", "--format=", "--name-only", "--no-renames", f"{old}..{new}",
         "--", folder],
        root,
        check=False,
    )  # fmt: skip
    if log.returncode != 0:
        return None
    start = len(AGENTS_DIR) + 1
    return {line[start:] for line in log.stdout.splitlines() if line.startswith(folder)}
