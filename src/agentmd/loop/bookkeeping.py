"""What agentmd itself writes into `.agents/` on a task's branch when a worker follows its
prompt (`agentmd verify`, `handoff new`, the log): never scope drift. The task file's own
bookkeeping fields are the loop's to keep on the base branch, so before a merge the branch
takes the base branch's copy of that file and the merge cannot conflict on it."""

from __future__ import annotations

from pathlib import Path

from agentmd import AGENTS_DIR, git
from agentmd.errors import LocatedError
from agentmd.files import document

# Fields agentmd's commands write into a task while it is worked on; a worker that changes
# anything else in its task file (its goal, its verify commands) has drifted.
FIELDS = frozenset(
    {
        "status", "claimed_by", "claimed_at", "lease", "base", "attempts", "blocked_reason",
        "verified", "verified_commit", "verified_at", "verify_exit", "verified_clean",
        "awaiting_merge",
    }
)  # fmt: skip
LOG = f"{AGENTS_DIR}/memory/log.md"


def task_file(task_path: str) -> str:
    """The task file's path from the repository root (`task_path` is relative to .agents/)."""
    return f"{AGENTS_DIR}/{task_path}"


def only_bookkeeping(tree: Path, base: str, path: str) -> bool:
    """Whether the branch changed `path` (a task file) in its bookkeeping fields only."""
    before, after = _show(tree, base, path), _show(tree, "HEAD", path)
    if before is None or after is None:
        return False
    try:
        old, new = document.parse(before, path), document.parse(after, path)
    except LocatedError:
        return False
    if old.body != new.body:
        return False
    keys = set(old.fields) | set(new.fields)
    return all(old.fields.get(k) == new.fields.get(k) for k in keys - FIELDS)


def hand_back(tree: Path, path: str, base_commit: str, task_id: str) -> None:
    """Give the branch the base branch's copy of the task file (committed on the branch), so
    that the merge keeps the loop's bookkeeping and meets no conflict there."""
    if _show(tree, "HEAD", path) == _show(tree, base_commit, path):
        return
    git.run(["checkout", "--quiet", base_commit, "--", path], tree)
    git.run(
        [
            "commit",
            "--quiet",
            "--no-verify",
            "-m",
            f"agentmd: {task_id}'s task file as the base branch keeps it",
            "--",
            path,
        ],
        tree,
    )


def _show(tree: Path, commit: str, path: str) -> str | None:
    result = git.run(["show", f"{commit}:{path}"], tree, check=False)
    return result.stdout if result.returncode == 0 else None
