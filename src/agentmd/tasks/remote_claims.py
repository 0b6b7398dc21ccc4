"""Claims across clones: commit the claim, push it; when another clone pushed first, catch up
and claim again. git is the distributed engine: the remote accepts exactly one of two racing
pushes, so each task is claimed once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from agentmd import git
from agentmd.errors import AgentmdError
from agentmd.tasks import lifecycle
from agentmd.workspace.folder import Workspace
from agentmd.workspace.records import Task

MAX_ROUNDS = 50  # each lost round means another clone's claim landed: the plan moves on


class PushError(AgentmdError):
    pass


def upstream(root: Path) -> tuple[str, str]:
    """The remote and branch the current branch pushes to."""
    branch = git.out(["symbolic-ref", "--quiet", "--short", "HEAD"], root, check=False).strip()
    if not branch:
        raise PushError(
            "--push needs a branch checked out, not a detached HEAD", "git switch BRANCH"
        )
    remote = git.out(["config", f"branch.{branch}.remote"], root, check=False).strip()
    merge = git.out(["config", f"branch.{branch}.merge"], root, check=False).strip()
    if not remote or not merge:
        raise PushError(
            f"branch '{branch}' has no upstream to push claims to",
            f"git push -u origin {branch}",
        )
    return remote, merge.removeprefix("refs/heads/")


def catch_up(root: Path, remote: str, branch: str) -> None:
    """Fetch and replay local commits on the remote branch; uncommitted edits are kept."""
    git.run(["fetch", "--quiet", remote, branch], root)
    result = git.run(
        ["-c", "rebase.autoStash=true", "rebase", "--quiet", f"{remote}/{branch}"],
        root,
        check=False,
    )
    if result.returncode != 0:
        git.run(["rebase", "--abort"], root, check=False)
        lines = (result.stderr or result.stdout).strip().splitlines()
        raise PushError(
            f"cannot bring this branch up to date with {remote}/{branch}: "
            f"{lines[-1] if lines else 'rebase failed'}",
            f"resolve it by hand: git pull --rebase {remote} {branch}",
        )


def commit_paths(root: Path, paths: list[str], message: str) -> None:
    # --only commits these paths whatever else is staged; no hooks: this is bookkeeping.
    git.run(["commit", "--quiet", "--no-verify", "--only", "-m", message, "--", *paths], root)


def claim_and_push(
    ws: Workspace, owner: str, choose: Callable[[Workspace], list[Task]]
) -> list[Task]:
    """Claim what `choose` picks from the up-to-date plan, commit only the task files, push.

    `choose` runs under the workspace lock on fresh state; it returns the tasks to claim (none
    ends the attempt) or raises. A rejected push undoes the local claim commit and tries again.
    """
    remote, branch = upstream(ws.root)
    for _round in range(MAX_ROUNDS):
        catch_up(ws.root, remote, branch)
        with lifecycle.changing(ws):
            ws.refresh()
            picked = choose(ws)
            for task in picked:
                lifecycle.claim_task(ws, task, owner)
        ws.refresh()
        if not picked:
            return []
        paths = [f"{ws.agents.relative_to(ws.root).as_posix()}/{t.path}" for t in picked]
        ids = ", ".join(t.id for t in picked)
        commit_paths(ws.root, paths, f"agentmd: claim {ids} by {owner}")
        pushed = git.run(
            ["push", "--quiet", remote, f"HEAD:refs/heads/{branch}"], ws.root, check=False
        )
        if pushed.returncode == 0:
            return [ws.task(t.id) for t in picked]
        if not _rejected(pushed.stderr):
            git.run(["reset", "--quiet", "--keep", "HEAD~1"], ws.root)
            ws.refresh()
            lines = pushed.stderr.strip().splitlines()
            raise PushError(
                f"git push to {remote} failed: "
                f"{lines[-1] if lines else pushed.returncode}; the claim was undone",
                "check 'git push' by hand",
            )
        # Another clone pushed first: drop our claim commit (the task files go back to what
        # they were), catch up, and choose again from what is left.
        git.run(["reset", "--quiet", "--keep", "HEAD~1"], ws.root)
        for task in picked:
            lifecycle.log(ws, "lost", task.id, "another clone pushed first; choosing again")
        ws.refresh()
    raise PushError(
        f"gave up after {MAX_ROUNDS} rejected pushes to {remote}/{branch}",
        "the remote is very busy or refuses pushes: try again, or check 'git push' by hand",
    )


def _rejected(stderr: str) -> bool:
    """The remote moved on meanwhile (as opposed to refusing us for good)."""
    return any(
        mark in stderr
        for mark in (
            "[rejected]",
            "fetch first",
            "non-fast-forward",
            "stale info",
            "cannot lock ref",
        )
    )
