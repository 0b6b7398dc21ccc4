"""Plans that moved: a task records the commit it was planned at (`planned_at`, written by
`add`, review's findings and decompose). When its inputs changed since, the prompt says which
files and how much (a diffstat), and `check` warns, so that an agent does not implement against
code that is gone."""

from __future__ import annotations

from typing import NamedTuple

from agentmd import git
from agentmd.errors import Problem
from agentmd.files import globs
from agentmd.workspace.folder import Workspace
from agentmd.workspace.records import Task

MAX_FILES = 20  # listed in the prompt; the rest are counted


class Moved(NamedTuple):
    since: str  # the planned_at commit
    files: tuple[tuple[str, str], ...]  # (path, "+12 -3" or "deleted" or "binary")


def planned_at(task: Task) -> str:
    value = task.record.fields.get("planned_at")
    return str(value).strip() if value else ""


def changed_since(ws: Workspace, task: Task, cache: dict | None = None) -> Moved | None:
    """What changed in the task's inputs between `planned_at` and HEAD; None when nothing did
    (or the task has no planned_at, no inputs, or names a commit this clone does not have)."""
    since = planned_at(task)
    if not since or not task.inputs:
        return None
    changes = _changes(ws, since, cache)
    if not changes:
        return None
    hits = tuple(
        (path, stat) for path, stat in changes if any(globs.matches(path, g) for g in task.inputs)
    )
    return Moved(since, hits) if hits else None


def _changes(ws: Workspace, since: str, cache: dict | None) -> list[tuple[str, str]]:
    if cache is not None and since in cache:
        return cache[since]
    found: list[tuple[str, str]] = []
    result = git.run(["diff", "--numstat", "-z", "--no-renames", since, "HEAD", "--"], ws.root,
                     check=False)  # fmt: skip
    if result.returncode == 0:
        deleted = set(
            git.split_z(
                git.out(
                    ["diff", "--name-only", "-z", "--diff-filter=D", since, "HEAD"],
                    ws.root,
                    check=False,
                )
            )
        )
        for item in git.split_z(result.stdout):
            added, removed, path = item.split("\t", 2)
            if path in deleted:
                stat = "deleted"
            elif added == "-":
                stat = "binary"
            else:
                stat = f"+{added} -{removed}"
            found.append((path, stat))
    if cache is not None:
        cache[since] = found
    return found


def prompt_part(moved: Moved) -> str:
    shown = moved.files[:MAX_FILES]
    lines = [
        "## Changed since this task was written",
        "",
        f"These inputs changed after the task was planned (at `{moved.since[:12]}`): read them "
        "as they are now, not as the task's text may assume.",
        "",
    ]
    lines += [f"- `{path}` ({stat})" for path, stat in shown]
    if len(moved.files) > len(shown):
        lines.append(f"- and {len(moved.files) - len(shown)} more")
    return "\n".join(lines)


def check_warnings(ws: Workspace) -> list[Problem]:
    """A warning for each todo task whose inputs changed since it was planned."""
    cache: dict = {}
    problems = []
    for task in sorted(ws.tasks.values(), key=lambda t: t.id):
        if task.status != "todo" or not planned_at(task):
            continue
        moved = changed_since(ws, task, cache)
        if moved is None:
            continue
        names = ", ".join(path for path, _ in moved.files[:5])
        more = f" and {len(moved.files) - 5} more" if len(moved.files) > 5 else ""
        problems.append(
            Problem(
                ws.display(task.path),
                task.record.line("planned_at"),
                1,
                "inputs-changed",
                f"its inputs changed since it was planned at {moved.since[:12]}: {names}{more}",
                "read the task against the code as it is now; when it still holds, set "
                "planned_at to the current commit ('git rev-parse HEAD')",
                "warning",
            )
        )
    return problems
