"""A reviewed task's branch that no longer merges into the base branch: rebased onto it in the
task's worktree, so the queue goes on instead of sending the task back. The task's own task
file is the loop's bookkeeping and always takes the base branch's copy; any other file that
conflicts is a real conflict. A rebase the loop was killed in is aborted at the next start."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from agentmd import AGENTS_DIR, git
from agentmd.files import textfile
from agentmd.loop import bookkeeping, merge, runs
from agentmd.workspace.folder import Workspace
from agentmd.workspace.records import Task

HANDOFFS = f"{AGENTS_DIR}/handoffs/"
REBASING = "rebasing"  # in the task's runs folder: the commit a rebase goes onto, until recorded
# Rebasing never opens an editor: the commits keep their messages.
QUIET = {"GIT_EDITOR": "true", "GIT_SEQUENCE_EDITOR": "true"}


@dataclass(frozen=True)
class Rebased:
    done: bool
    conflicted: tuple[str, ...] = ()  # files the rebase could not replay, when not done
    problem: str = ""  # the conflict in one sentence, for ## Attempts


def in_progress(tree: Path) -> bool:
    """Whether a rebase is stopped (or was cut short) in the worktree at `tree`."""
    paths = git.out(
        [
            "rev-parse",
            "--path-format=absolute",
            "--git-path",
            "rebase-merge",
            "--git-path",
            "rebase-apply",
        ],
        tree,
        check=False,
    ).splitlines()
    return any(Path(path).exists() for path in paths if path)


def abort(tree: Path) -> None:
    git.run(["rebase", "--abort"], tree, check=False)


def branch_of(tree: Path) -> str:
    """The branch a rebase stopped in `tree` is rebasing (the worktree's HEAD is detached
    meanwhile), or ''."""
    for name in ("rebase-merge", "rebase-apply"):
        where = git.out(
            ["rev-parse", "--path-format=absolute", "--git-path", f"{name}/head-name"],
            tree,
            check=False,
        ).strip()
        try:
            return Path(where).read_text().strip().removeprefix("refs/heads/")
        except OSError:
            continue
    return ""


def catch_up(ws: Workspace, task: Task, tree: Path) -> str:
    """The commit a rebase the loop started took the task's branch onto, when the loop was
    killed before it recorded so (the task's `base`); the handoffs move there too. ''
    when there is no such rebase, or it did not happen (it was aborted)."""
    mark = _mark(ws, task.id)
    try:
        head = mark.read_text().strip()
    except OSError:
        return ""
    if in_progress(tree):
        return ""
    took = git.run(["merge-base", "--is-ancestor", head, "HEAD"], tree, check=False)
    if took.returncode != 0 or _same(tree, task.base, head):
        mark.unlink(missing_ok=True)
        return ""
    move_handoff_base(tree, task.id, head)
    return head


def recorded(ws: Workspace, task_id: str) -> None:
    """The task's base now says where its branch starts: the rebase is finished with."""
    _mark(ws, task_id).unlink(missing_ok=True)


def _mark(ws: Workspace, task_id: str) -> Path:
    return runs.folder(ws, task_id) / REBASING


def onto(
    ws: Workspace, task: Task, tree: Path, head: str, base_branch: str, *, keep: bool = False
) -> Rebased:
    """Rebase the branch checked out at `tree` onto `head` (the base branch's commit). On a
    conflict the rebase is aborted, unless `keep` (a worker resolves it): stopped, then."""
    own = bookkeeping.task_file(task.path)
    mark = _mark(ws, task.id)
    mark.parent.mkdir(parents=True, exist_ok=True)
    textfile.atomic_write(mark, head + "\n")  # before: a loop killed after it knows of it
    result = _git(["rebase", "--quiet", head], tree)
    while result.returncode != 0:
        unmerged = _unmerged(tree)
        if not in_progress(tree):  # it did not even start: a dirty worktree, say
            mark.unlink(missing_ok=True)
            said = (result.stderr or result.stdout).strip().splitlines()
            why = said[-1] if said else f"git rebase exited {result.returncode}"
            return Rebased(False, (), f"the rebase onto {base_branch} could not start: {why}")
        if not unmerged or unmerged != (own,):
            break
        # the loop's bookkeeping: the base branch's copy wins, as bookkeeping.hand_back does
        git.run(["checkout", "--quiet", head, "--", own], tree)
        git.run(["add", "--", own], tree)
        result = _git(["rebase", "--continue"], tree)
    else:
        move_handoff_base(tree, task.id, head)
        return Rebased(True)
    conflicted = tuple(path for path in _unmerged(tree) if path != own)
    mark.unlink(missing_ok=True)
    if not keep:
        abort(tree)
    origin = merge.changed_by(ws.root, conflicted, task.base) if task.base else ""
    return Rebased(
        False,
        conflicted,
        f"rebasing onto {base_branch} conflicts in {', '.join(conflicted)}"
        + (f" (changed there by {origin})" if origin else ""),
    )


def move_handoff_base(tree: Path, task_id: str, head: str) -> list[str]:
    """The task's handoffs the branch wrote say `base: <the old start>`: the rebased work
    starts from `head` now, so their `base` moves with it (one commit on the branch), and each
    handoff stays true to the diff it is judged against. Returns the handoffs changed."""
    where = Workspace(tree)
    written = set(
        git.split_z(
            git.out(["diff", "--name-only", "-z", head, "HEAD", "--", HANDOFFS], tree, check=False)
        )
    )
    moved = []
    for handoff in where.handoffs:
        rel = f"{AGENTS_DIR}/{handoff.path}"
        if handoff.task != task_id or rel not in written or not handoff.base:
            continue
        if _same(tree, handoff.base, head):
            continue
        editor = where.edit(handoff.path)
        editor.set("base", head)
        where.save(handoff.path, editor.text)
        moved.append(rel)
    if moved:
        git.run(["add", "--", *moved], tree)
        git.run(
            [
                "commit",
                "--quiet",
                "--no-verify",
                "-m",
                f"agentmd: {task_id}'s handoff starts from {head[:12]}, where it was rebased",
                "--",
                *moved,
            ],
            tree,
        )
    return moved


def _same(tree: Path, one: str, other: str) -> bool:
    found = git.run(["rev-parse", "--verify", "--quiet", f"{one}^{{commit}}"], tree, check=False)
    return found.returncode == 0 and found.stdout.strip() == other


def _unmerged(tree: Path) -> tuple[str, ...]:
    return tuple(
        git.split_z(git.out(["diff", "--name-only", "--diff-filter=U", "-z"], tree, check=False))
    )


def _git(args: list[str], tree: Path):
    return git.run(args, tree, check=False, env={**git.clean_env(), **QUIET})
