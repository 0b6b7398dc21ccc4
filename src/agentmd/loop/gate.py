"""What the loop checks: the whole plan before each cycle (`agentmd check`), and a task's
branch in review (scope, verify commands, handoff, and the model's review when asked)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from agentmd import AGENTS_DIR, git, worktrees
from agentmd.errors import AgentmdError, LocatedError, Problem
from agentmd.files import globs
from agentmd.loop import bookkeeping
from agentmd.workspace.folder import Workspace
from agentmd.workspace.records import Task

# Paths under .agents/ a worker may add on its branch: its handoff and memory notes.
WORKER_MAY_WRITE = (f"{AGENTS_DIR}/handoffs/", f"{AGENTS_DIR}/memory/")


def plan_problems(ws: Workspace) -> list[Problem]:
    """Errors `agentmd check` reports for the whole plan (warnings, such as stale claims, are
    the loop's to handle)."""
    from agentmd.checks.passes import check_workspace
    from agentmd.prompt.tokens import ESTIMATE

    found = check_workspace(ws, ESTIMATE, errors_only=True).problems
    errors = [p for p in found if p.severity == "error"]
    # A task in review keeps its handoff on its branch until the loop merges it; the review
    # step checks it there, so check's "no handoff" for such a task is not a broken plan.
    excused = {
        ws.display(t.path)
        for t in ws.tasks.values()
        if t.status == "review" and worktrees.find(ws, t.id) is not None
    }
    return [
        p
        for p in errors
        if not (p.path in excused and p.code in ("handoff-missing", "handoff-invalid"))
    ]


def scope_drift(
    tree: Path, base: str, outputs: Sequence[str], task_path: str = ""
) -> list[str]:
    """Files the branch changed since `base` that are outside the task's outputs. What agentmd
    writes for the worker (its handoff, memory notes and log, its own task file's bookkeeping
    fields) is not drift. A task that declares no outputs may change anything (it runs alone:
    docs/conventions.md), so nothing it changes is drift."""
    if not outputs:
        return []
    changed = git.split_z(
        git.out(["diff", "--name-only", "--no-renames", "-z", base, "HEAD", "--"], tree)
    )
    own = bookkeeping.task_file(task_path) if task_path else None
    return [
        path
        for path in changed
        if not path.startswith(WORKER_MAY_WRITE)
        and not any(globs.matches(path, g, rooted=True) for g in outputs)
        and not (path == own and bookkeeping.only_bookkeeping(tree, base, path))
    ]


def review_problems(
    ws: Workspace,
    task: Task,
    tree: worktrees.Worktree | None,
    *,
    with_model: bool,
    extra_env: dict[str, str] | None = None,
    note: Callable[[str], None] | None = None,
) -> list[str]:
    """Every problem with the task's work, one line each (a Problem rendered keeps its hint);
    in its worktree when it has one, else in the repository itself. The handoff is judged
    where the work will land: at the branch's commit, what a merge takes, not in the worktree
    (a handoff written there but never committed does not reach the base branch)."""
    from agentmd.handoffs.judge import WorkTree
    from agentmd.tasks.lifecycle import handoff_done_problems
    from agentmd.tasks.verification import run_verify

    where = Workspace(tree.path) if tree else ws
    problems: list[str] = []
    if tree and task.base:
        drift = scope_drift(tree.path, task.base, task.outputs, task.path)
        if drift:
            problems.append(
                f"scope drift: changed {', '.join(drift)} outside its outputs "
                f"({', '.join(task.outputs)})"
            )
    outcome = run_verify(where, task, record=False, extra_env=extra_env, note=note)
    problems += [f"verify: {line}" for line in outcome.problems()]
    # The latest handoff by the one rule check, done and the hook use (handoffs/latest.py).
    if tree:
        at_commit = branch_tree(ws, tree)
        found = handoff_done_problems(where, task, at_commit)
        problems += [p.render() for p in found]
        problems += uncommitted(tree, at_commit.commit) if found else []
    else:
        problems += [p.render() for p in handoff_done_problems(where, task, WorkTree(where))]
    if with_model:
        problems += [f"review: {line}" for line in model_review(ws, task, where)]
    return problems


def branch_tree(ws: Workspace, tree: worktrees.Worktree):
    """The task branch's commit, as the handoff checks see a tree (`precommit.CommitTree`)."""
    from agentmd.precommit import CommitTree

    return CommitTree(ws.root, f"refs/heads/{tree.branch}")


def uncommitted(tree: worktrees.Worktree, commit: str) -> list[str]:
    """Why the worktree's files are not what was judged: what it holds uncommitted."""
    status = git.split_z(
        git.out(["status", "--porcelain", "-z", "--no-renames", "--untracked-files=all"],
                tree.path, check=False)  # fmt: skip
    )
    paths = [entry[3:] for entry in status if len(entry) > 3]
    if not paths:
        return []
    return [
        f"uncommitted: the worktree of {tree.branch} holds {', '.join(paths)} that its commit "
        f"{commit[:12]} does not; the loop judges and merges the branch's commit, not the "
        "worktree: commit them on the branch (or remove them)"
    ]


def model_review(ws: Workspace, task: Task, where: Workspace) -> list[str]:
    """The model's blocking findings on the task's work in `where`, recorded in `ws` (a worktree
    is removed once its task is done). When the review cannot be done, a LocatedError at the
    task: the loop stops there and the task stays in review for the next run."""
    from agentmd.api.review import review_for_loop  # the Anthropic API: only with --review

    try:
        return review_for_loop(where, task, records=ws)
    except LocatedError:
        raise  # already located: a bad model setting in plan.md
    except AgentmdError as exc:
        again = (
            "the task stays in review: start the loop again once it can be done, "
            "or without --review"
        )
        raise LocatedError(
            Problem(
                ws.display(task.path),
                task.record.line("status"),
                1,
                "review-unavailable",
                f"the model's review of '{task.id}' cannot be done: {exc.message}",
                f"{exc.hint}; {again}" if exc.hint else again,
            )
        ) from None
