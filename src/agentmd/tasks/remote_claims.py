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
    """Fetch and fast-forward to the remote branch. Nothing else is touched: uncommitted edits
    stay as they are (git refuses, and so do we, when the remote changed a file edited here),
    and a branch with commits of its own is refused, since a push would publish them too."""
    git.run(["fetch", "--quiet", remote, branch], root)
    ahead = git.out(["rev-list", "--count", f"{remote}/{branch}..HEAD"], root).strip()
    if ahead != "0":
        raise PushError(
            f"--push publishes a claim alone, and this branch has {ahead} commit(s) that "
            f"{remote}/{branch} has not: a push would publish them with the claim",
            f"push them first (git push), or claim without --push; "
            f"'git log {remote}/{branch}..HEAD' lists them",
        )
    result = git.run(["merge", "--quiet", "--ff-only", f"{remote}/{branch}"], root, check=False)
    if result.returncode != 0:
        said = (result.stderr or result.stdout).strip().splitlines()
        blocked = [line.strip() for line in said if line.startswith("\t")]
        if blocked:
            raise PushError(
                f"cannot bring this branch up to date with {remote}/{branch}: it changed "
                f"{', '.join(blocked)}, which you have uncommitted edits to; nothing was changed",
                "commit or stash those edits, then claim again",
            )
        raise PushError(
            f"cannot bring this branch up to date with {remote}/{branch}: "
            f"{said[-1] if said else 'git merge --ff-only failed'}; nothing was changed",
            f"bring it up to date by hand: git pull --ff-only {remote} {branch}",
        )


def commit_paths(root: Path, paths: list[str], message: str) -> None:
    # --only commits these paths whatever else is staged; no hooks: this is bookkeeping.
    git.run(["commit", "--quiet", "--no-verify", "--only", "-m", message, "--", *paths], root)


def _edited(root: Path, paths: list[str]) -> list[str]:
    return git.split_z(git.out(["diff", "HEAD", "--name-only", "-z", "--", *paths], root))


def claim_and_push(
    ws: Workspace, owner: str, choose: Callable[[Workspace], list[Task]]
) -> list[Task]:
    """Claim what `choose` picks from the up-to-date plan, commit only the task files and their
    log lines, push. `choose` runs under the workspace lock on fresh state; it returns the tasks
    to claim (none ends the attempt) or raises. A rejected push undoes the local claim commit
    and tries again."""
    remote, branch = upstream(ws.root)
    agents = ws.agents.relative_to(ws.root).as_posix()
    log_path = f"{agents}/{lifecycle.LOG}"
    lost: list[str] = []  # claims another clone won: logged with the next claim commit
    for _round in range(MAX_ROUNDS):
        catch_up(ws.root, remote, branch)
        with lifecycle.changing(ws):
            ws.refresh()
            picked = choose(ws)
            paths = [f"{agents}/{t.path}" for t in picked]
            edited = _edited(ws.root, paths) if paths else []
            if edited:
                raise PushError(
                    f"{', '.join(edited)} has uncommitted edits: a claim pushed now would "
                    "publish them too",
                    "commit or undo them, then claim again",
                )
            for task_id in lost if picked else ():
                lifecycle.log(ws, "lost", task_id, "another clone pushed first; choosing again")
            lost = []
            for task in picked:
                lifecycle.claim_task(ws, task, owner)
        ws.refresh()
        if not picked:
            return []
        ids = ", ".join(t.id for t in picked)
        commit_paths(
            ws.root, paths + _edited(ws.root, [log_path]), f"agentmd: claim {ids} by {owner}"
        )
        pushed = git.run(
            ["push", "--quiet", remote, f"HEAD:refs/heads/{branch}"], ws.root, check=False
        )
        if pushed.returncode == 0:
            return [ws.task(t.id) for t in picked]
        # Drop our claim commit: the task files and the log go back to what they were.
        git.run(["reset", "--quiet", "--keep", "HEAD~1"], ws.root)
        ws.refresh()
        if not _rejected(pushed.stderr):
            lines = pushed.stderr.strip().splitlines()
            raise PushError(
                f"git push to {remote} failed: {lines[-1] if lines else pushed.returncode}; the claim was undone",
                "check 'git push' by hand",
            )
        # Another clone pushed first: catch up, and choose again from what is left.
        lost += [t.id for t in picked]
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
