"""A cap on verify runs at once (plan.md `verify_slots`), across the loop's worktrees and the
`agentmd verify` a worker runs in its own: N lock files under the repository's git common dir,
which every worktree shares; a verify run takes a free one (fcntl.flock) and holds it while
its commands run, so the lock goes with the process, even one killed with SIGKILL."""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from agentmd import git
from agentmd.errors import AgentmdError
from agentmd.workspace.folder import CACHE_DIR, Workspace

SLOTS_DIR = "agentmd-verify-slots"  # under the git common dir
HELD = "AGENTMD_VERIFY_SLOT"  # in the commands' environment: the slot they run in
POLL_SECONDS = 0.1


def cap(ws: Workspace) -> int | None:
    """plan.md's `verify_slots`, or None when it is not set (no cap)."""
    value = ws.settings.raw.get("verify_slots")
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise AgentmdError(
            f"plan.md setting verify_slots: '{value}' is not a positive whole number",
            "e.g. verify_slots: 2 (at most two verify runs at once), or remove it for no cap",
        )
    return value


def lock_folder(ws: Workspace) -> Path:
    """Where the slots' lock files are: one folder for the repository and all its worktrees."""
    found = git.run(["rev-parse", "--path-format=absolute", "--git-common-dir"], ws.root)
    common = found.stdout.strip() if found.returncode == 0 else ""
    folder = Path(common) / SLOTS_DIR if common else ws.agents / CACHE_DIR / SLOTS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@contextmanager
def held(
    ws: Workspace, note: Callable[[str], None] | None = None
) -> Iterator[dict[str, str]]:
    """Hold one verify slot while the block runs, which gets the environment its commands add
    (the slot's number); without a cap, none is needed. While every slot is taken it waits,
    and says so once through `note`. A verify run inside one (a verify command that runs
    `agentmd verify`) is in its slot already: it takes no second one, which could never come."""
    slots = cap(ws)
    if slots is None or os.environ.get(HELD):
        yield {}
        return
    folder = lock_folder(ws)
    said = False
    while True:
        for number in range(slots):
            fd = os.open(folder / f"slot-{number}.lock", os.O_RDWR | os.O_CREAT, 0o666)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            try:
                yield {HELD: str(number)}
            finally:
                os.close(fd)  # closing the file lets go of its lock
            return
        if not said and note is not None:
            note(f"waiting for a verify slot ({slots} in use)")
            said = True
        time.sleep(POLL_SECONDS)
