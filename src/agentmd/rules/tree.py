"""The repository's files as the hosts see them: listed once through git (untracked ones too,
ignored ones not), read leniently, a symlink known by what it points to."""

from __future__ import annotations

import os
from pathlib import Path

from agentmd import AGENTS_DIR, git

SKIP_DIRS = {".git", "node_modules", ".venv", "venv", "__pycache__", ".tox", AGENTS_DIR}


def repo_files(root: Path) -> list[str]:
    """Every file of the working tree, relative to `root` with '/', sorted."""
    # .agents/ left out by git itself: its 13,000 names at 10,000 tasks, listed and split only
    # to be dropped, were 1.5 MB of `check`'s peak
    listed = git.run(
        ["ls-files", "-z", "-co", "--exclude-standard", "--", ".", f":(exclude){AGENTS_DIR}/"],
        root,
        check=False,
    )
    if listed.returncode == 0:
        names = {p for p in git.split_z(listed.stdout) if not p.startswith(AGENTS_DIR + "/")}
        return sorted(n for n in names if (root / n).is_file())
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        rel = os.path.relpath(folder, root)
        found += [name if rel == "." else f"{rel}/{name}" for name in files]
    return sorted(found)


def folder_of(rel: str) -> str:
    return rel.rpartition("/")[0]


def ancestors(root: Path, path: str) -> list[str]:
    """The folders from the root ("") down to the one `path` is in (itself when a folder)."""
    parts = [p for p in path.strip("/").split("/") if p not in ("", ".")]
    if parts and not path.endswith("/") and not (root / "/".join(parts)).is_dir():
        parts = parts[:-1]
    return [""] + ["/".join(parts[: i + 1]) for i in range(len(parts))]


def join(folder: str, name: str) -> str:
    return f"{folder}/{name}" if folder else name


class Tree:
    """The files of one repository, each read once; what could not be read is remembered."""

    def __init__(self, root: Path, files: list[str] | None = None):
        self.root = root
        self.files = repo_files(root) if files is None else files
        self.present = set(self.files)
        self._texts: dict[str, str | None] = {}
        self.problems: dict[str, object] = {}  # rel -> Problem

    def after(self, texts: dict[str, str | None]) -> Tree:
        """This tree once each file in `texts` holds its text (None: the file is gone)."""
        files = (set(self.files) | {rel for rel, text in texts.items() if text is not None}) - {
            rel for rel, text in texts.items() if text is None
        }
        made = Tree(self.root, sorted(files))
        made._texts.update((rel, text) for rel, text in texts.items() if text is not None)
        return made

    def exists(self, rel: str) -> bool:
        return rel in self.present

    def under(self, folder: str) -> list[str]:
        prefix = folder.rstrip("/") + "/"
        return [f for f in self.files if f.startswith(prefix)]

    def text(self, rel: str) -> str | None:
        if rel not in self._texts:
            from agentmd.errors import LocatedError
            from agentmd.files import textfile

            try:
                self._texts[rel] = textfile.read_text(self.root / rel, rel)
            except LocatedError as exc:
                self._texts[rel] = None
                self.problems[rel] = exc.problem
        return self._texts[rel]

    def real(self, rel: str) -> str:
        """What a symlink points to, relative to the root when inside it: a file counts once."""
        try:
            resolved = (self.root / rel).resolve()
            return resolved.relative_to(self.root.resolve()).as_posix()
        except (OSError, ValueError):
            return rel
