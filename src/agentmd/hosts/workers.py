"""Worker command lines for `agentmd run`, per host: the non-interactive mode with the
permissions a worker needs inside the loop's worktree (edit files there, commit on its branch,
run agentmd and the plan's verify commands) and no more. docs/integrations.md explains each."""

from __future__ import annotations

import shlex

from agentmd.workspace.folder import Workspace

GIT = ("git add", "git commit", "git status", "git diff", "git log")


def verify_commands(ws: Workspace) -> list[str]:
    """Every distinct verify command of the plan, in id order."""
    seen: dict[str, None] = {}
    for task in sorted(ws.tasks.values(), key=lambda t: t.id):
        for command in task.verify:
            seen.setdefault(command.strip(), None)
    return [c for c in seen if c]


def claude(verify: list[str]) -> str:
    # -p: non-interactive; --output-format json: ends with the result and what it cost, which
    # the loop records (loop/costs.py); acceptEdits: file edits in the working directory
    # without asking; the Bash rules: git on the branch, agentmd, and each verify command exactly.
    tools = [f"Bash({c}:*)" for c in GIT] + ["Bash(agentmd:*)"] + [f"Bash({c})" for c in verify]
    flags = "-p --output-format json --permission-mode acceptEdits"
    return f"claude {flags} --allowedTools " + " ".join(
        shlex.quote(tool) for tool in tools
    )


def codex(verify: list[str]) -> str:
    # exec: non-interactive; workspace-write: edits and commands inside the worktree; a linked
    # worktree's commits land in the main repository's git directory, outside it: --add-dir.
    return (
        "codex exec --sandbox workspace-write "
        '--add-dir "$(git rev-parse --path-format=absolute --git-common-dir)" -'
    )


def gemini(verify: list[str]) -> str:
    # -p: headless (the prompt on stdin comes first); auto_edit: file edits without asking;
    # --allowed-tools: the shell commands a worker runs.
    shell = [f"run_shell_command({c})" for c in (*GIT, "agentmd", *verify)]
    allowed = " ".join(f"--allowed-tools {shlex.quote(tool)}" for tool in shell)
    return f'gemini --approval-mode auto_edit {allowed} -p "Do the task above, then exit."'


LINES = {"claude": claude, "codex": codex, "gemini": gemini}


def worker_line(ws: Workspace, host: str) -> str | None:
    make = LINES.get(host)
    return make(verify_commands(ws)) if make else None
