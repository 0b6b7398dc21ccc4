"""Claims across clones, the git side (`claims.claim_and_push` drives it): commit the claim,
push it; when another clone pushed first, catch up and claim again. git is the distributed
engine: the remote accepts exactly one of two racing pushes, so each task is claimed once."""

from __future__ import annotations

from pathlib import Path

from agentmd import git
from agentmd.errors import AgentmdError
from agentmd.tasks.lifecycle import LOG
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


def refuse_edited(ws: Workspace, picked: list[Task]) -> None:
    """A task file with uncommitted edits is not claimed with --push: the claim commit would
    publish the edits too."""
    paths = [f"{ws.agents.relative_to(ws.root).as_posix()}/{t.path}" for t in picked]
    edited = _edited(ws.root, paths) if paths else []
    if edited:
        raise PushError(
            f"{', '.join(edited)} has uncommitted edits: a claim pushed now would publish them too",
            "commit or undo them, then claim again",
        )


def _edited(root: Path, paths: list[str]) -> list[str]:
    return git.split_z(git.out(["diff", "HEAD", "--name-only", "-z", "--", *paths], root))


def push_claims(ws: Workspace, remote: str, branch: str, claimed: list[Task], owner: str) -> bool:
    """Commit the claimed task files and their log lines alone and push; False when another
    clone pushed first (our commit is undone: catch up and choose again). Any other refusal
    undoes it and raises."""
    agents = ws.agents.relative_to(ws.root).as_posix()
    paths = [f"{agents}/{t.path}" for t in claimed]
    ids = ", ".join(t.id for t in claimed)
    log_path = f"{agents}/{LOG}"
    commit_paths(ws.root, paths + _edited(ws.root, [log_path]), f"agentmd: claim {ids} by {owner}")
    pushed = git.run(["push", "--quiet", remote, f"HEAD:refs/heads/{branch}"], ws.root, check=False)
    if pushed.returncode == 0:
        return True
    # Drop our claim commit: the task files and the log go back to what they were.
    git.run(["reset", "--quiet", "--keep", "HEAD~1"], ws.root)
    ws.refresh()
    if _rejected(pushed.stderr):
        return False
    lines = pushed.stderr.strip().splitlines()
    raise PushError(
        f"git push to {remote} failed: "
        f"{lines[-1] if lines else pushed.returncode}; the claim was undone",
        "check 'git push' by hand",
    )


def gave_up(remote: str, branch: str) -> PushError:
    return PushError(
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
