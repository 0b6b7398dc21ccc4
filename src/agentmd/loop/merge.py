"""Merging a reviewed task's branch only when the merged result holds. The task's verify
commands and plan.md's `verify` run on the merge, where the merged code is what gets imported:
in an integration worktree prepared by plan.md's `worktree_setup` when the plan has one, else
in the base checkout itself, where an editable install points. A failure leaves the base branch
exactly as it was: no merge commit, no half-merged file, nothing staged."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from agentmd import git
from agentmd.tasks import verify_slots
from agentmd.tasks.verification import CommandResult, run_command, timeout_of
from agentmd.workspace.folder import CACHE_DIR, Workspace
from agentmd.workspace.records import Task, as_list

MERGE_SUBJECT = re.compile(r"agentmd: merge \S+ \((.+)\)$")  # the loop's merge commits
INTEGRATION_DIR = "integration"  # under .agents/.cache/: the worktree merges are tried in
OUTPUT_LINES = 12  # of a failing command's output, kept under ## Attempts


@dataclass(frozen=True)
class Outcome:
    merged: bool
    problem: str = ""  # why it was not merged: the task goes back with it
    conflicted: tuple[str, ...] = ()  # files a conflicting merge left unmerged
    wait: str = ""  # not now, and not the task's fault: try again in a later cycle


def plan_verify(ws: Workspace) -> tuple[str, ...]:
    return as_list(ws.settings.raw.get("verify"))


def setup_commands(ws: Workspace) -> tuple[str, ...]:
    return as_list(ws.settings.raw.get("worktree_setup"))


def include_globs(ws: Workspace) -> tuple[str, ...]:
    return as_list(ws.settings.raw.get("worktree_include"))


def setup_script(ws: Workspace) -> str:
    """plan.md's worktree_setup as one shell line (each command must succeed), or ''."""
    return " && ".join(f"( {command} )" for command in setup_commands(ws))


def copy_included(ws: Workspace, tree: Path) -> list[str]:
    """Copy the untracked files plan.md's worktree_include names (`.env`, say) from the base
    checkout into a new worktree; returns them, relative to the root."""
    patterns = include_globs(ws)
    if not patterns:
        return []
    tracked = set(git.split_z(git.out(["ls-files", "-z"], ws.root, check=False)))
    copied = []
    for pattern in patterns:
        for source in sorted(ws.root.glob(pattern)):
            rel = source.relative_to(ws.root).as_posix()
            if not source.is_file() or rel in tracked or rel.split("/", 1)[0] == ".git":
                continue
            target = tree / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
            copied.append(rel)
    return copied


def queue(tasks: dict[str, Task]) -> list[Task]:
    """The tasks in review in the order their merges go: a task after those it depends on
    (also through tasks not in review), then by id."""
    depth: dict[str, int] = {}

    def depth_of(task_id: str, seen: frozenset[str] = frozenset()) -> int:
        if task_id in depth:
            return depth[task_id]
        task = tasks.get(task_id)
        if task is None or task_id in seen:  # unknown or a cycle: check reports those
            return 0
        below = [depth_of(d, seen | {task_id}) for d in task.depends_on]
        depth[task_id] = 1 + max(below, default=-1)
        return depth[task_id]

    waiting = [t for t in tasks.values() if t.status == "review"]
    return sorted(waiting, key=lambda t: (depth_of(t.id), t.id))


def merged(ws: Workspace, branch: str) -> bool:
    """Whether the base checkout's HEAD has all of `branch` already."""
    found = git.run(["merge-base", "--is-ancestor", branch, "HEAD"], ws.root, check=False)
    return found.returncode == 0


def integrate(
    ws: Workspace,
    task: Task,
    branch: str,
    base_branch: str,
    extra_env: dict[str, str] | None = None,
    note: Callable[[str], None] | None = None,
) -> Outcome:
    """Merge `branch` into the checked-out base branch if the merged result passes;
    `extra_env` for its commands (the loop's verify slot), `note` for a wait on verify_slots."""
    if merged(ws, branch):
        return Outcome(True)  # merged already: a loop killed after its merge commit
    commands = (*task.verify, *plan_verify(ws))
    message = f"agentmd: merge {branch} ({task.id})"
    if setup_commands(ws):
        return _in_worktree(ws, task, branch, base_branch, commands, message, extra_env, note)
    return _in_checkout(ws, task, branch, base_branch, commands, message, extra_env, note)


def _in_checkout(
    ws: Workspace,
    task: Task,
    branch: str,
    base_branch: str,
    commands: tuple[str, ...],
    message: str,
    extra_env: dict[str, str] | None = None,
    note: Callable[[str], None] | None = None,
) -> Outcome:
    before = git.head(ws.root) or ""
    # --no-commit: the merge stays undoable until its verify passed. A loop killed meanwhile
    # leaves MERGE_HEAD at the task's branch, which the next loop aborts (cycle._settle).
    result = git.run(
        ["merge", "--quiet", "--no-ff", "--no-commit", "--no-verify", branch],
        ws.root,
        check=False,
    )
    if result.returncode != 0:
        return _conflict(ws.root, result, base_branch, task.base)
    failed = _run_all(ws, commands, ws.root, extra_env, note)
    if failed:
        git.run(["merge", "--abort"], ws.root, check=False)
        where = f"the base checkout, {base_branch} with {branch} merged in"
        return Outcome(False, _failure_text(failed, where, base_branch, before))
    git.run(["commit", "--quiet", "--no-verify", "-m", message], ws.root)
    return Outcome(True)


def _in_worktree(
    ws: Workspace,
    task: Task,
    branch: str,
    base_branch: str,
    commands: tuple[str, ...],
    message: str,
    extra_env: dict[str, str] | None = None,
    note: Callable[[str], None] | None = None,
) -> Outcome:
    before = git.head(ws.root) or ""
    tree = integration_tree(ws, before)
    result = git.run(
        ["merge", "--quiet", "--no-ff", "--no-verify", "-m", message, branch], tree, check=False
    )
    if result.returncode != 0:
        return _conflict(tree, result, base_branch, task.base)
    copy_included(ws, tree)
    setup = setup_script(ws)
    ran = run_command(setup, tree, timeout_of(ws), extra_env)
    if ran.exit_code != 0:
        where = f"{_rel(ws, tree)}, the merge's worktree"
        return Outcome(
            False, _failure_text([ran], where, base_branch, before, "worktree_setup failed in")
        )
    failed = _run_all(ws, commands, tree, extra_env, note)
    if failed:
        where = f"{_rel(ws, tree)}, {base_branch} with {branch} merged in"
        return Outcome(False, _failure_text(failed, where, base_branch, before))
    merged = git.head(tree) or ""
    moved = git.run(["merge", "--quiet", "--ff-only", merged], ws.root, check=False)
    if moved.returncode != 0:
        said = (moved.stderr or moved.stdout).strip().splitlines()
        return Outcome(
            False,
            wait=f"{base_branch} cannot take the verified merge as it is "
            f"({said[-1] if said else 'git merge --ff-only failed'}); trying again",
        )
    return Outcome(True)


def integration_tree(ws: Workspace, commit: str) -> Path:
    """The worktree merges are tried in, at `commit` (detached), cleaned of what the last try
    left; kept between merges so that what worktree_setup builds (a venv) is reused."""
    path = ws.agents / CACHE_DIR / INTEGRATION_DIR
    if (path / ".git").exists():
        git.run(["merge", "--abort"], path, check=False)
        git.run(["checkout", "--quiet", "--force", "--detach", commit], path)
        git.run(["clean", "--quiet", "-fd"], path, check=False)  # not -x: keep the venv
        return path
    git.run(["worktree", "prune"], ws.root, check=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    git.run(["worktree", "add", "--quiet", "--force", "--detach", str(path), commit], ws.root)
    return path


def drop_integration_tree(ws: Workspace) -> None:
    path = ws.agents / CACHE_DIR / INTEGRATION_DIR
    if (path / ".git").exists():
        git.run(["worktree", "remove", "--force", str(path)], ws.root, check=False)


def _rel(ws: Workspace, path: Path) -> str:
    return os.path.relpath(path, ws.root)


def _run_all(
    ws: Workspace,
    commands: tuple[str, ...],
    cwd: Path,
    extra_env: dict[str, str] | None,
    note: Callable[[str], None] | None = None,
) -> list[CommandResult]:
    timeout = timeout_of(ws)
    with verify_slots.held(ws, note) as slot:  # plan.md's verify_slots
        env = {**(extra_env or {}), **slot}
        results = [run_command(command, cwd, timeout, env) for command in commands]
    return [result for result in results if result.exit_code != 0]


def _conflict(where: Path, result, base_branch: str, since: str = "") -> Outcome:
    conflicted = tuple(
        git.split_z(git.out(["diff", "--name-only", "--diff-filter=U", "-z"], where, check=False))
    )
    git.run(["merge", "--abort"], where, check=False)
    said = (result.stderr or result.stdout).strip().splitlines()
    detail = (
        ", ".join(conflicted) if conflicted else (said[-1] if said else f"exit {result.returncode}")
    )
    origin = changed_by(where, conflicted, since) if conflicted and since else ""
    return Outcome(
        False,
        f"merge conflict with {base_branch} in {detail}"
        + (f" (changed there by {origin})" if origin else "")
        + f"; the next attempt starts from the current {base_branch}",
        conflicted,
    )


def changed_by(where: Path, files: tuple[str, ...], since: str) -> str:
    """What brought the base branch's side of a conflict: the task whose merge changed those
    files since the task's base (newest first), else the commit."""
    short, subject = last_change(where, files, since)
    if not short:
        return ""
    task = MERGE_SUBJECT.match(subject)
    if task:
        return f"the merge of task {task.group(1)} ({short})"
    return f"commit {short} ({subject})"


def task_that_changed(where: Path, files: tuple[str, ...], since: str) -> str | None:
    """The task whose merge last changed `files` since `since`, if a loop's merge did."""
    _, subject = last_change(where, files, since)
    task = MERGE_SUBJECT.match(subject)
    return task.group(1) if task else None


def last_change(where: Path, files: tuple[str, ...], since: str) -> tuple[str, str]:
    """(short hash, subject) of the newest first-parent commit since `since` that changed
    `files`, or ('', '')."""
    found = git.out(
        ["log", "--first-parent", "--format=%h %s", f"{since}..HEAD", "--", *files],
        where,
        check=False,
    ).splitlines()
    if not found:
        return "", ""
    short, _, subject = found[0].partition(" ")
    return short, subject


def _failure_text(
    failed: list[CommandResult],
    where: str,
    base_branch: str,
    before: str,
    what: str = "integrated verify failed in",
) -> str:
    lines = [f"{what} {where}; {base_branch} stays at {before[:12]}, nothing merged:"]
    for result in failed:
        how = "timed out" if result.timed_out else "exited"
        lines.append(f"- `{result.command}` {how} {result.exit_code}:")
        tail = result.tail.strip().splitlines()[-OUTPUT_LINES:]
        lines += [f"    {line}" for line in tail]
    return "\n".join(lines)
