"""A git worktree and branch per claimed task, at paths plan.md configures; pruning them."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from agentmd import git
from agentmd.errors import AgentmdError
from agentmd.workspace.folder import Workspace
from agentmd.workspace.records import PLAN_DEFAULTS, Task

DEFAULT_PATH = str(PLAN_DEFAULTS["worktrees"])
DEFAULT_BRANCH = "agentmd/{id}"
PRUNABLE = ("done", "todo", "failed")  # done, released (back to todo), or failed
KEEP_BRANCH = ("failed",)  # a failed task's branch holds its attempts: kept for a person
INITIALIZING_WAIT = 30.0  # seconds a `git worktree add` that a killed loop left running may take


@dataclass(frozen=True)
class Worktree:
    task_id: str
    path: Path
    branch: str


def _template(ws: Workspace, key: str, default: str) -> str:
    value = str(ws.settings.raw.get(key) or default)
    if "{id}" not in value:
        raise AgentmdError(
            f"plan.md setting {key}: '{value}' has no {{id}}",
            f"each task needs its own: e.g. {key}: {default}",
        )
    return value


def path_for(ws: Workspace, task_id: str) -> Path:
    raw = (
        _template(ws, "worktrees", DEFAULT_PATH)
        .replace("{repo}", ws.root.name)
        .replace("{id}", task_id)
    )
    path = Path(raw).expanduser()
    return path if path.is_absolute() else ws.root / path


def branch_for(ws: Workspace, task_id: str) -> str:
    return _template(ws, "branch", DEFAULT_BRANCH).replace("{id}", task_id)


def task_of_branch(ws: Workspace, branch: str) -> str | None:
    prefix, _, suffix = _template(ws, "branch", DEFAULT_BRANCH).partition("{id}")
    if (
        branch.startswith(prefix)
        and branch.endswith(suffix)
        and len(branch) > len(prefix) + len(suffix)
    ):
        return branch[len(prefix) : len(branch) - len(suffix)]
    return None


def listed(ws: Workspace) -> dict[Path, str]:
    """Every worktree of the repository and its branch ('' when detached)."""
    found: dict[Path, str] = {}
    path: Path | None = None
    for item in git.split_z(git.out(["worktree", "list", "--porcelain", "-z"], ws.root)):
        if item.startswith("worktree "):
            path = Path(item[len("worktree ") :]).resolve()
            found[path] = ""
        elif item.startswith("branch ") and path is not None:
            found[path] = item[len("branch ") :].removeprefix("refs/heads/")
    return found


def lock_reason(ws: Workspace, path: Path) -> str | None:
    """Why git has the worktree at `path` locked ('' without a reason), or None if it is not."""
    resolved, current = path.resolve(), None
    for item in git.split_z(git.out(["worktree", "list", "--porcelain", "-z"], ws.root)):
        if item.startswith("worktree "):
            current = Path(item[len("worktree ") :]).resolve()
        elif current == resolved and (item == "locked" or item.startswith("locked ")):
            return item[len("locked ") :]
    return None


def settle(ws: Workspace, path: Path, wait: float | None = None) -> None:
    """A `git worktree add` that outlived a killed loop holds its worktree locked
    'initializing' until its checkout is done: wait for it; a lock that outlasts the wait is
    one whose git died, and is lifted so that the worktree can be made again."""
    end = time.monotonic() + (INITIALIZING_WAIT if wait is None else wait)
    while lock_reason(ws, path) == "initializing":
        if time.monotonic() >= end:
            git.run(["worktree", "unlock", str(path)], ws.root, check=False)
            return
        time.sleep(0.05)


def find(ws: Workspace, task_id: str) -> Worktree | None:
    path = path_for(ws, task_id).resolve()
    branch = listed(ws).get(path)
    return Worktree(task_id, path, branch) if branch is not None else None


def branch_exists(root: Path, branch: str) -> bool:
    return (
        git.run(
            ["rev-parse", "--verify", "--quiet", f"refs/heads/{branch}"], root, check=False
        ).returncode
        == 0
    )


def create(
    ws: Workspace, task: Task, *, fresh: bool = False, start: str | None = None
) -> tuple[Worktree, bool]:
    """The task's worktree, created on its branch from `start`, else the task's base (or HEAD),
    if missing.

    `fresh` starts the branch over from the base (a retry is a fresh session). Returns the
    worktree and whether it was created now.
    """
    settle(ws, path_for(ws, task.id))
    existing = find(ws, task.id)
    if existing is not None and not fresh:
        return existing, False
    if existing is not None:
        remove(ws, existing, force=True)
    path = path_for(ws, task.id)
    branch = branch_for(ws, task.id)
    base = start or task.base or git.head(ws.root)
    if base is None:
        raise AgentmdError("a worktree needs a commit to start from", "commit something first")
    path.parent.mkdir(parents=True, exist_ok=True)
    git.run(["worktree", "prune"], ws.root, check=False)  # forget folders deleted by hand
    if branch_exists(ws.root, branch) and not fresh:
        git.run(["worktree", "add", "--quiet", str(path), branch], ws.root)
    else:
        if fresh:
            keep_attempt(ws, task.id, branch, base, task.attempts)
        git.run(["worktree", "add", "--quiet", "-B", branch, str(path), base], ws.root)
    return Worktree(task.id, path.resolve(), branch), True


ATTEMPTS = "refs/agentmd/attempts"  # /<task id>/<n>: what an attempt left, before a retry


def keep_attempt(
    ws: Workspace, task_id: str, branch: str, base: str, attempt: int
) -> str | None:
    """The branch's commit, kept as `refs/agentmd/attempts/<id>/<attempt>` when it holds work
    beyond `base`, before a retry starts the branch over: the failed attempt stays there to
    look at (`git log refs/agentmd/attempts/<id>/1`). A ref of that name already there (a
    task reopened, its attempts counted anew) is never written over: the next free number is
    taken. The ref it wrote, or None."""
    found = [
        git.run(["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"], ws.root, check=False)
        .stdout.strip()
        for rev in (f"refs/heads/{branch}", base)
    ]
    if not all(found) or found[0] == found[1]:
        return None
    held = git.run(["for-each-ref", "--format=%(refname)", f"{ATTEMPTS}/{task_id}/"], ws.root)
    taken = set(held.stdout.split())
    number = max(attempt, 1)
    while f"{ATTEMPTS}/{task_id}/{number}" in taken:
        number += 1
    ref = f"{ATTEMPTS}/{task_id}/{number}"
    git.run(["update-ref", ref, found[0], ""], ws.root)  # ("": only if there is none)
    return ref


def remove(ws: Workspace, tree: Worktree, *, force: bool = False) -> str | None:
    """Remove the worktree; None when removed, else why not (uncommitted changes...)."""
    args = ["worktree", "remove", *(["--force"] if force else []), str(tree.path)]
    result = git.run(args, ws.root, check=False)
    if result.returncode != 0:
        lines = result.stderr.strip().splitlines()
        return lines[-1].removeprefix("fatal: ") if lines else "git worktree remove failed"
    return None


@dataclass(frozen=True)
class Pruned:
    tree: Worktree
    status: str
    refused: str | None  # why it was kept
    branch_deleted: bool


def prune(
    ws: Workspace,
    *,
    force: bool = False,
    dry_run: bool = False,
    statuses: tuple[str, ...] = PRUNABLE,
) -> list[Pruned]:
    """Remove the worktrees of tasks that are done, released or failed (`statuses`); delete their
    branches when merged."""
    results = []
    for path, branch in sorted(listed(ws).items()):
        task_id = task_of_branch(ws, branch) if branch else None
        if task_id is None or path == ws.root.resolve():
            continue
        task = ws.tasks.get(task_id)
        if task is None or task.status not in statuses:
            continue
        tree = Worktree(task_id, path, branch)
        if dry_run:
            results.append(Pruned(tree, task.status, None, False))
            continue
        refused = remove(ws, tree, force=force)
        deleted = False
        if refused is None and task.status not in KEEP_BRANCH:
            # -d refuses an unmerged branch: work that never landed is kept for a person.
            deleted = git.run(["branch", "-q", "-d", branch], ws.root, check=False).returncode == 0
        results.append(Pruned(tree, task.status, refused, deleted))
    return results
