"""What a session changed, as git tells it: the diff from a handoff's base to where the session
ended, for the working tree (`WorkTree`); the commit hook has its own view of the index."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from agentmd import AGENTS_DIR, git
from agentmd.files import cachefile
from agentmd.handoffs.latest import Latest, newest_first

if TYPE_CHECKING:
    from agentmd.handoffs.reading import Readings
    from agentmd.workspace.folder import Workspace

MEMO = ".cache/handoff-truth.json"  # under .agents/: facts about commits, which do not change
MEMO_FORMAT = 1
_TASKS = f"{AGENTS_DIR}/tasks/"
# "diff BASE END" -> [files, deleted] (or [None, None]: base is not a commit);
# "ancestor BASE END" -> whether BASE is an ancestor of END
Memo = dict[str, list | bool]


@dataclass(frozen=True)
class Changes:
    """What the diff since a handoff's base changed, outside .agents/."""

    files: frozenset[str]
    deleted: frozenset[str]


if TYPE_CHECKING:

    class Tree(Protocol):
        """Where a handoff's claims are checked: the working tree, or the index for a commit hook.

        `end` is where the session ended: the last commit that touched a committed handoff, or
        None for what is not committed yet (the working tree, or the index in a commit hook).
        """

        @property
        def root(self) -> Path: ...

        def existing(self, paths: list[str]) -> set[str]: ...

        def end_of(self, display: str) -> str | None: ...

        # None: base is not a commit
        def changes(self, base: str, end: str | None) -> Changes | None: ...

        def is_ancestor(self, base: str, end: str | None) -> bool: ...

        def task_exists(self, task_id: str) -> bool: ...

        def task_outputs(self) -> list[str]: ...  # every task's outputs entries

        # a shallow clone lacks old commits: a missing base is no proof
        def shallow(self) -> bool: ...

        def describe(self, base: str, end: str | None) -> str: ...


def parse_name_status(output: str) -> Changes:
    """`git diff --name-status --no-renames -z` output, .agents/ left out."""
    items = git.split_z(output)
    files, deleted = set(), set()
    for status, path in zip(items[::2], items[1::2], strict=False):
        if path.startswith(AGENTS_DIR + "/"):
            continue
        files.add(path)
        if status.startswith("D"):
            deleted.add(path)
    return Changes(frozenset(files), frozenset(deleted))


class WorkTree:
    """The working tree as it is. A handoff not committed yet is held to the diff from its base
    to the working tree (committed, uncommitted and untracked work); a committed one to the diff
    from its base to the last commit that touched it, which does not change as work goes on.
    What git answers about commits is kept in .agents/.cache/ (it cannot change)."""

    staged: set[str] = set()  # nothing here is staged: the working tree is as it is

    def __init__(self, ws: Workspace, *, once: bool = True):
        """`once`: each path a handoff names is looked at once, the first time one asks (or
        found in the workspace's scan); not for findings kept past this check (handoffs/kept.py),
        which must be no older than its look at each folder."""
        self.ws = ws
        self.once = once
        self.findings: dict[str, list] = {}  # handoff path (under .agents/) -> its findings
        self._changes: dict[tuple[str, str | None], Changes | None] = {}
        self._ends: dict[str, str] | None = None
        self._memo: Memo | None = None
        self._memo_changed = False
        self._readings: Readings | None = None
        self._latest: Latest | None = None
        self._there: dict[str, bool] = {}  # path -> whether it is there (`existing`)
        self._ancestors: dict[tuple[str, str | None], bool] = {}  # (base, end) -> is_ancestor

    @property
    def root(self) -> Path:
        return self.ws.root

    @property
    def readings(self) -> Readings:
        """What was read of each handoff's text, kept by blob id (the commit hook looks there)."""
        if self._readings is None:
            from agentmd.handoffs.reading import READINGS, Readings

            self._readings = Readings(self.ws.agents / READINGS)
        return self._readings

    def existing(self, paths: list[str]) -> set[str]:
        """Those of `paths` that are there, each looked at once: 3,000 handoffs name the same
        rules, and each its own task's file, which the workspace's scan found already."""
        if not self.once:
            return {path for path in paths if os.path.lexists(f"{self.root}/{path}")}
        known = self._there
        found = set()
        for path in paths:
            there = known.get(path)
            if there is None:
                there = known[path] = self._task_file(path) or os.path.lexists(
                    f"{self.root}/{path}"
                )
            if there:
                found.add(path)
        return found

    def _task_file(self, path: str) -> bool:
        """`path` is a task's file (`.agents/tasks/ID.md`) that the workspace read."""
        if not (path.startswith(_TASKS) and path.endswith(".md")):
            return False
        task = self.ws.tasks.get(path[len(_TASKS) : -3])
        return task is not None and task.path == path[len(AGENTS_DIR) + 1 :]

    def end_of(self, display: str) -> str | None:
        if self._ends is None:
            self._ends = self._last_commits()
        return self._ends.get(display)

    def _last_commits(self) -> dict[str, str]:
        """Each committed handoff unchanged in the working tree -> the last commit to touch it."""
        folder = f"{AGENTS_DIR}/handoffs/"
        log = git.run(
            ["log", "--relative", "--format=>%H", "--name-only", "--no-renames", "--", folder],
            self.root,
            check=False,
        )
        if log.returncode != 0:
            return {}
        ends: dict[str, str] = {}
        commit = ""
        for line in log.stdout.splitlines():
            if line.startswith(">"):
                commit = line[1:]
            elif line and line not in ends:
                ends[line] = commit
        dirty = git.run(
            ["status", "--porcelain", "-z", "--no-renames", "--untracked-files=all", "--", folder],
            self.root,
            check=False,
        )
        for entry in git.split_z(dirty.stdout):
            ends.pop(entry[3:], None)
        return ends

    def _remembered(self) -> Memo:
        if self._memo is None:
            self._memo = cachefile.load(self.ws.agents / MEMO, MEMO_FORMAT)
        return self._memo

    def save(self) -> None:
        """Keep what git said about commits for the next run (best effort: a cache)."""
        if self._memo_changed and self._memo is not None:
            cachefile.save(self.ws.agents / MEMO, MEMO_FORMAT, self._memo)
        if self._readings is not None:
            self._readings.save()

    def changes(self, base: str, end: str | None = None) -> Changes | None:
        if (base, end) not in self._changes:
            self._changes[base, end] = self._diff(base, end)
        return self._changes[base, end]

    def _diff(self, base: str, end: str | None) -> Changes | None:
        if end is not None:
            key = f"diff {base} {end}"
            hit = self._remembered().get(key)
            if isinstance(hit, list) and len(hit) == 2:
                return None if hit[0] is None else Changes(frozenset(hit[0]), frozenset(hit[1]))
        if (
            base.startswith("-")
            or git.run(
                ["rev-parse", "--verify", "--quiet", f"{base}^{{commit}}"], self.root, check=False
            ).returncode
        ):
            found = None
        elif end is not None:
            out = git.out(
                ["diff", "--relative", "--name-status", "--no-renames", "-z", base, end, "--"],
                self.root,
            )
            found = parse_name_status(out)
        else:
            out = git.out(
                ["diff", "--relative", "--name-status", "--no-renames", "-z", base, "--"], self.root
            )
            tracked = parse_name_status(out)
            untracked = git.split_z(
                git.out(["ls-files", "-o", "--exclude-standard", "-z"], self.root)
            )
            extra = {path for path in untracked if not path.startswith(AGENTS_DIR + "/")}
            found = Changes(tracked.files | extra, tracked.deleted)
        # a base that is not a commit may arrive later: not kept
        if end is not None and found is not None:
            self._remembered()[f"diff {base} {end}"] = [sorted(found.files), sorted(found.deleted)]
            self._memo_changed = True
        return found

    def is_ancestor(self, base: str, end: str | None = None) -> bool:
        answer = self._ancestors.get((base, end))  # 3,000 handoffs share a few bases
        if answer is None:
            answer = self._ancestors[base, end] = self._is_ancestor(base, end)
        return answer

    def _is_ancestor(self, base: str, end: str | None) -> bool:
        key = f"ancestor {base} {end}"
        hit = self._remembered().get(key) if end is not None else None
        if isinstance(hit, bool):
            return hit
        answer = (
            git.run(
                ["merge-base", "--is-ancestor", base, end or "HEAD"], self.root, check=False
            ).returncode
            == 0
        )
        if end is not None:
            self._remembered()[key] = answer
            self._memo_changed = True
        return answer

    def task_exists(self, task_id: str) -> bool:
        return task_id in self.ws.tasks

    def task_outputs(self) -> list[str]:
        return [output for task in self.ws.tasks.values() for output in task.outputs]

    @property
    def latest(self) -> Latest | None:
        """Each task's latest handoff, as the workspace indexed them (handoffs.latest asks)."""
        if self._latest is None:
            index = self.ws.latest_handoffs
            self._latest = Latest.known({task: handoff.path for task, handoff in index.items()})
        return self._latest

    @latest.setter
    def latest(self, finder: Latest | None) -> None:
        self._latest = finder

    def handoff_tasks(self) -> list[tuple[str, str]]:
        tasks = {handoff.path: handoff.task for handoff in self.ws.handoffs}
        return [(path, tasks[path]) for path in newest_first(tasks)]

    def display_of(self, path: str) -> str:
        return self.ws.display(path)

    def handoff_document(self, path: str):
        """The handoff at `path` (under .agents/) as this tree holds it, parsed."""
        return self.ws.read(path)

    def shallow(self) -> bool:
        return is_shallow(self.root)

    def describe(self, base: str, end: str | None = None) -> str:
        target = (
            f"commit {end[:12]} (the last to touch this handoff)" if end else "the working tree"
        )
        return f"the diff from base {base[:12]} to {target}"


def is_shallow(root: Path, env: dict[str, str] | None = None) -> bool:
    result = git.run(["rev-parse", "--is-shallow-repository"], root, check=False, env=env)
    return result.stdout.strip() == "true"
