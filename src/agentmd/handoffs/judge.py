"""Validating a handoff: complete (every section, filled), concrete (no vague phrases, named paths
exist) and true (Artifacts is what the diff changed, the task exists, base is an ancestor)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from agentmd import AGENTS_DIR
from agentmd.errors import LocatedError, Problem
from agentmd.files import document
from agentmd.files.document import Document
from agentmd.handoffs import changes
from agentmd.handoffs.changes import Changes, parse_name_status  # noqa: F401 - this module's API
from agentmd.handoffs.reading import Reading, Readings, none_artifacts, vague_item

if TYPE_CHECKING:  # the commit hook imports this module, and needs no workspace
    from collections.abc import Callable
    from typing import Any

    from agentmd.handoffs.changes import Tree
    from agentmd.workspace.folder import Workspace
    from agentmd.workspace.records import Task

DEGRADED = (
    "a handoff that claims files the diff does not touch is the sign of a degraded session: "
    "compare with `git diff --name-only {base}` and write what was really done"
)



class WorkTree(changes.WorkTree):
    """The working tree as it is, which also judges its handoffs, each once."""

    def handoff_findings(self, path: str) -> list[Problem]:
        """Every finding for the handoff at `path` (under .agents/)."""
        if path not in self.findings:
            self.findings[path] = check_handoff_file(self.ws, path, tree=self)
        return self.findings[path]

def check_handoff_file(
    ws: Workspace, rel_or_path: str | Path, *, lenient: bool = False, tree: WorkTree | None = None
) -> list[Problem]:
    """Every finding for one handoff: a path relative to .agents/, or any path on disk. Pass one
    `tree` to check many: it asks git about the history once."""
    path, display = locate(ws, rel_or_path)
    try:
        doc = document.read(path, display)
    except LocatedError as exc:
        return [exc.problem]
    own = tree or WorkTree(ws)
    problems = check_document(doc, own, lenient=lenient, readings=own.readings)
    if tree is None:
        own.save()
    return problems


def check_foreign_file(path: str | Path) -> list[Problem]:
    """A handoff outside any workspace, read leniently: structure and wording only."""
    try:
        doc = document.read(Path(path), str(path))
    except LocatedError as exc:
        return [exc.problem]
    return check_document(doc, None, lenient=True)  # type: ignore[arg-type]  # lenient never asks the tree


def locate(ws: Workspace, rel_or_path: str | Path) -> tuple[Path, str]:
    given = Path(rel_or_path)
    if given.is_absolute() or (
        not str(rel_or_path).startswith(("handoffs/", "tasks/")) and given.exists()
    ):
        full = given.resolve()
        try:
            return full, ws.display(full.relative_to(ws.agents.resolve()).as_posix())
        except ValueError:
            return full, str(rel_or_path)
    return ws.agents / given, ws.display(given.as_posix())


def task_handoff_problems(
    ws: Workspace, task: Task, tree: WorkTree | None = None
) -> list[Problem]:
    """The latest handoff for `task` (`handoffs.latest`), validated; no handoff at all is
    itself a finding."""
    from agentmd.handoffs.latest import task_findings

    own = tree or WorkTree(ws)
    line = task.record.line("status")
    problems = task_findings(own, task.id, task.status, ws.display(task.path), line)
    if tree is None:
        own.save()
    return problems


# -- the checks ------------------------------------------------------------------------------


def check_document(
    doc: Document, tree: Tree, *, lenient: bool = False, readings: Readings | None = None
) -> list[Problem]:
    reading = (readings or Readings(None)).get(doc, lenient)
    return judge(doc.display, doc.fields, doc.key_lines, reading, None if lenient else tree)


def judge(
    display: str, fields: dict, lines: dict[str, int], reading: Reading, tree: Tree | None
) -> list[Problem]:
    """The reading's findings, and what git and the disk say of its claims; without a `tree`
    (a file from another repository, read leniently) the claims are left unchecked."""
    problems = list(reading.problems)

    def add(line: int, col: int, code: str, message: str, hint: str = "", level: str = "") -> None:
        problems.append(
            Problem(
                display, line, col, code, message, hint, level or ("error" if tree else "warning")
            )
        )

    if tree is None:
        if reading.artifacts_none:
            add(*none_artifacts(reading.artifacts_none))
        return problems
    if reading.plain_items:
        # A word that is a file of the tree (`CHANGES.rst`, `Makefile`) is a path after all.
        words = sorted({w for _, _, item in reading.plain_items for w in item if w})
        present = tree.existing(words) if words else set()
        for line, col, item in reading.plain_items:
            if not present & set(item):
                add(*vague_item(line, col))
    task_id = str(fields.get("task") or "").strip()
    if task_id and not tree.task_exists(task_id):
        add(
            lines.get("task", 1),
            1,
            "handoff-task-unknown",
            f"task '{task_id}' does not exist",
            f"the tasks are the files in {AGENTS_DIR}/tasks/; fix the id or restore the task",
        )
    base = str(fields.get("base") or "").strip()
    end = tree.end_of(display) if base else None
    changes = tree.changes(base, end) if base else None
    if base:
        _base(base, end, changes, lines.get("base", 1), tree, add)
    if reading.artifacts_none and (changes is None or changes.files):
        add(*none_artifacts(reading.artifacts_none))
    _paths(reading.named, tree, changes, add)
    _planned_paths(reading.planned, tree, changes, add)
    if changes is not None and reading.artifacts_line and (changes.files or reading.artifacts):
        span = f"{base[:12]} {end[:12]}" if end else base[:12]
        _artifacts_truth(reading, changes, tree.describe(base, end), span, add)
    return problems


def _base(base: str, end: str | None, changes: Changes | None, line: int, tree: Tree, add) -> None:
    if changes is None:
        if tree.shallow():
            add(
                line,
                1,
                "handoff-base-unknown",
                f"base '{base}' is not in this shallow clone: the truth checks cannot run",
                "fetch the history (git fetch --unshallow; in GitHub Actions, fetch-depth: 0)",
                "warning",
            )
            return
        add(
            line,
            1,
            "handoff-base-unknown",
            f"base '{base}' is not a commit in this repository",
            "use the commit the session started from (the task's 'base' field)",
        )
    elif not tree.is_ancestor(base, end):
        where = f"commit {end[:12]} (the last to touch this handoff)" if end else "HEAD"
        add(
            line,
            1,
            "handoff-base-not-ancestor",
            f"base {base[:12]} is not an ancestor of {where}",
            "the work was rebased or the base is wrong: set "
            "base to the commit the work now starts from",
        )


def _missing(
    named, tree: Tree, changes: Changes | None, excused: Callable[[str], bool] | None = None
) -> list[tuple[str, int, int]]:
    """Of (path, line, col), those that neither exist in the tree nor were deleted by the work,
    nor are `excused`, nor ignored by git."""
    if not named:
        return []
    existing = tree.existing([path.rstrip("/") for path, _, _ in named])
    deleted = changes.deleted if changes is not None else frozenset()
    missing = [
        (path, line, col)
        for path, line, col in named
        if path.rstrip("/") not in existing
        and path not in deleted
        and not (excused and excused(path))
    ]
    if not missing:
        return []
    ignored = _ignored(tree, {path for path, _, _ in missing})
    return [item for item in missing if item[0] not in ignored]


_IGNORED: WeakKeyDictionary[Any, dict[str, bool]] = WeakKeyDictionary()  # a tree's answers


def _ignored(tree: Tree, paths: set[str]) -> set[str]:
    """Those of `paths` git ignores: a build folder, a virtual environment, a pattern of the
    .gitignore the work changed (`.venv-trial/`) name no file a handoff could claim. One `git
    check-ignore` for the paths a tree was not asked of yet (a check of 3,000 handoffs that
    name the same folder asks once)."""
    from agentmd import git

    known = _IGNORED.setdefault(tree, {})
    asked = sorted(paths - known.keys())
    if asked:
        found = git.run(
            ["check-ignore", "-z", "--stdin", "--no-index"],
            tree.root,
            check=False,
            input="".join(f"{path}\0" for path in asked),
        )
        said = set(git.split_z(found.stdout)) if found.returncode == 0 else set()
        known.update((path, path in said) for path in asked)
    return {path for path in paths if known[path]}


def _paths(named, tree: Tree, changes: Changes | None, add) -> None:
    known = changes is not None
    for path, line_no, col in _missing(named, tree, changes):
        add(
            line_no,
            col,
            "handoff-path-missing",
            f"'{path}' does not exist"
            + ("" if known else " (no base to tell whether the work deleted it)"),
            "fix the path, or say where the file went",
            "" if known else "warning",
        )


def _planned_paths(planned, tree: Tree, changes: Changes | None, add) -> None:
    """A path Remaining or Next action names exists, was deleted, or is a file some task is to
    create (it matches a task's outputs): else it is a wrong or invented name."""
    if not planned:
        return
    from agentmd.files import globs

    outputs: list[str] | None = None

    def to_be_written(path: str) -> bool:  # (asked before git is: one a task will create)
        nonlocal outputs
        outputs = tree.task_outputs() if outputs is None else outputs
        return any(globs.matches(path.rstrip("/"), output, rooted=True) for output in outputs)

    for path, line_no, col in _missing(planned, tree, changes, to_be_written):
        add(
            line_no,
            col,
            "handoff-path-missing",
            f"'{path}' does not exist, and no task lists it among its outputs",
            "fix the path, or add it to the outputs of the task that will create it",
        )


def _covers(listed: str, path: str) -> bool:
    return listed == path or (listed.endswith("/") and path.startswith(listed))


def _artifacts_truth(reading: Reading, changes: Changes, diff_name: str, span: str, add) -> None:
    items = [
        (line, path) for line, path in reading.artifacts if not path.startswith(AGENTS_DIR + "/")
    ]
    listed = [path for _, path in items]
    missing = sorted(
        path for path in changes.files if not any(_covers(item, path) for item in listed)
    )
    if missing:
        shown = ", ".join(missing[:10]) + (
            f" and {len(missing) - 10} more" if len(missing) > 10 else ""
        )
        add(
            reading.artifacts_line,
            1,
            "handoff-artifacts-missing",
            f"Artifacts leaves out {len(missing)} file(s) that {diff_name} changed: {shown}",
            "list every changed file under ## Artifacts ('agentmd handoff new' fills it from git)",
        )
    for line, path in items:
        if not any(_covers(path, changed) for changed in changes.files):
            add(
                line,
                1,
                "handoff-artifacts-untouched",
                f"Artifacts lists '{path}', which {diff_name} does not touch",
                DEGRADED.format(base=span),
            )
