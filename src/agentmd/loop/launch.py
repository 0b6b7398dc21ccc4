"""Starting a worker: its prompt, its environment, and the wrapper that records its pid and
exit status in files, so that a loop started again knows what became of it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from agentmd import AGENTS_DIR, clock, git, worktrees
from agentmd.loop import runs
from agentmd.workspace.folder import Workspace
from agentmd.workspace.records import Task

# The worker runs in a subshell so that its own `exit` cannot skip the line that records its
# status; the status file is what a restarted loop reads for a worker it did not start.
# plan.md's worktree_setup runs first, its output in the log, the prompt kept from it.
WRAPPER = (
    'printf "%s\\n" "$$" > "$AGENTMD_PID_FILE"; status=0; '
    'if [ -n "$AGENTMD_SETUP" ]; then echo "agentmd: worktree_setup: $AGENTMD_SETUP"; '
    '( eval "$AGENTMD_SETUP" ) < /dev/null; status=$?; '
    '[ $status -eq 0 ] || echo "agentmd: worktree_setup failed with exit status $status"; fi; '
    'if [ $status -eq 0 ]; then ( eval "$1" ); status=$?; fi; '
    'printf "%s\\n" "$status" > "$AGENTMD_EXIT_FILE.tmp" && '
    'mv -f "$AGENTMD_EXIT_FILE.tmp" "$AGENTMD_EXIT_FILE"; '
    "exit $status"
)


def start(
    ws: Workspace,
    task: Task,
    run: runs.Run,
    tree: worktrees.Worktree,
    prompt: str,
    command: str,
    owner: str,
    setup: str = "",
    extra_env: dict[str, str] | None = None,
) -> subprocess.Popen:
    """Start `command` in the task's worktree, the prompt on its stdin, its output in the log;
    `setup` (plan.md's worktree_setup) runs before it, and its failure is the worker's."""
    handoff = handoff_path(tree.path, task.id)
    folder = run.folder(ws)
    folder.mkdir(parents=True, exist_ok=True)
    pid_file = folder / f"attempt-{run.attempt}.pid"
    for stale in (run.exit_file(ws), pid_file):
        stale.unlink(missing_ok=True)
    run.prompt_file(ws).write_text(prompt + note(task, tree, handoff), encoding="utf-8")
    env = {
        **git.clean_env(),
        "AGENTMD_TASK": task.id,
        "AGENTMD_HANDOFF": str(handoff),
        "AGENTMD_BASE": task.base,
        "AGENTMD_BRANCH": tree.branch,
        "AGENTMD_ATTEMPT": str(run.attempt),
        "AGENTMD_AGENT": owner,
        "AGENTMD_PROMPT_FILE": str(run.prompt_file(ws)),
        "AGENTMD_PID_FILE": str(pid_file),
        "AGENTMD_EXIT_FILE": str(run.exit_file(ws)),
        "AGENTMD_SETUP": setup,
        **(extra_env or {}),  # AGENTMD_SLOT, AGENTMD_PORT
    }
    env["PATH"] = with_agentmd(env.get("PATH", os.defpath))
    with open(run.prompt_file(ws), "rb") as stdin, open(run.log(ws), "wb") as log:
        return subprocess.Popen(
            ["/bin/sh", "-c", WRAPPER, "agentmd-worker", command],
            cwd=tree.path,
            stdin=stdin,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            # its own process group: a timeout stops all of it, ^C none of it
            start_new_session=True,
        )


def with_agentmd(path: str) -> str:
    """PATH for the worker, with this agentmd's own command at the end when PATH has none:
    the prompt tells the worker to run `agentmd verify` and `agentmd handoff new`. At the end,
    so it shadows nothing (the project's own python stays first)."""
    if shutil.which("agentmd", path=path):
        return path
    mine = Path(sys.executable).parent / "agentmd"
    return f"{path}{os.pathsep}{mine.parent}" if os.access(mine, os.X_OK) else path


def handoff_path(tree: Path, task_id: str) -> Path:
    """Where the worker's handoff goes: today's name, made unique."""
    folder = tree / AGENTS_DIR / "handoffs"
    day = clock.today()
    candidate = folder / f"{day}-{task_id}.md"
    number = 2
    while candidate.exists():
        candidate = folder / f"{day}-{task_id}-{number}.md"
        number += 1
    return candidate


def note(task: Task, tree: worktrees.Worktree, handoff: Path) -> str:
    """What the prompt adds for a worker inside the loop (it replaces 'agentmd done')."""
    rel = handoff.relative_to(tree.path).as_posix()
    return (
        "\n---\n## You are running inside `agentmd run`\n\n"
        f"- Your working directory is a git worktree on branch `{tree.branch}`, started from "
        f"`{task.base[:12]}`. Commit your work on this branch.\n"
        f"- Write the handoff to `{rel}` (also in $AGENTMD_HANDOFF), with `base: {task.base}` in "
        "its front matter, and commit it too.\n"
        "- Do not run `agentmd done`, `claim` or `fail`, and do not edit `.agents/tasks/` or "
        "`.agents/plan.md`: the loop keeps the task's status on the base branch. When you exit, "
        "it runs the verify commands, checks the handoff and your scope, and merges the branch.\n"
        "- Exit 0 when you are finished; exit non-zero if "
        "you could not finish (say why in the handoff).\n"
    )
