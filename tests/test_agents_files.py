"""checks.passes.agents_files: every Markdown file under .agents/, in the order of a walk that
takes each folder's entries by name (the order check lists raw-text findings in)."""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from agentmd.checks.budgets import SKIP_DIRS
from agentmd.checks.passes import agents_files
from agentmd.workspace.folder import Workspace


def walk(agents: Path, folder: str = "") -> list[str]:
    """The walk written plainly: each folder's entries sorted by name, folders descended into
    where they sort."""
    found = []
    for entry in sorted(os.scandir(agents / folder), key=lambda e: e.name):
        rel = f"{folder}/{entry.name}" if folder else entry.name
        if entry.is_dir(follow_symlinks=False):
            if entry.name not in SKIP_DIRS:
                found += walk(agents, rel)
        elif entry.name.endswith(".md"):
            found.append(rel)
    return found


NAMES = st.sampled_from(["a", "a-b", "a.b", "b", "A", "_x", ".h", "a0", "ä", ".cache"])
PATHS = st.lists(
    st.tuples(st.lists(NAMES, min_size=0, max_size=3), NAMES, st.sampled_from([".md", ".txt"])),
    max_size=25,
)


@settings(max_examples=60, deadline=None)
@given(paths=PATHS)
def test_the_order_is_the_plain_walks(tmp_path_factory, paths):
    root = tmp_path_factory.mktemp("ws")
    agents = root / ".agents"
    agents.mkdir()
    for folders, name, suffix in paths:
        folder = agents.joinpath(*folders)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{name}{suffix}").write_text("x\n")
        except (FileExistsError, NotADirectoryError, IsADirectoryError):
            continue  # a file where a folder was asked for, or the other way round
    assert agents_files(Workspace(root)) == walk(agents)


def test_folders_and_files_whose_names_sort_apart(tmp_path):
    agents = tmp_path / ".agents"
    for rel in ("a/x.md", "a-b.md", "a.md", "b/c/d.md", ".h.md", ".cache/skip.md", "z.txt"):
        (agents / rel).parent.mkdir(parents=True, exist_ok=True)
        (agents / rel).write_text("x\n")
    assert agents_files(Workspace(tmp_path)) == [".h.md", "a/x.md", "a-b.md", "a.md", "b/c/d.md"]
