"""Running a task's verify commands at the repository root and recording the outcome in the task."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass

from agentmd import AGENTS_DIR, clock, git
from agentmd.tasks import verify_slots
from agentmd.workspace.folder import Workspace
from agentmd.workspace.records import Task

DEFAULT_TIMEOUT = 600  # seconds per command; plan.md's `verify_timeout` changes it
TIMEOUT_EXIT = 124  # what timeout(1) reports, so a timed-out command reads as one
TAIL_LINES = 20


@dataclass(frozen=True)
class CommandResult:
    command: str
    exit_code: int
    tail: str  # the last lines of its output (stdout and stderr together)
    timed_out: bool = False

    def as_dict(self) -> dict:
        return {
            "command": self.command,
            "exit": self.exit_code,
            "tail": self.tail,
            "timed_out": self.timed_out,
        }


@dataclass(frozen=True)
class VerifyOutcome:
    task: str
    commit: str | None  # HEAD when the commands ran
    at: str  # when, as the task records it
    results: tuple[CommandResult, ...]

    @property
    def passed(self) -> bool:
        return all(result.exit_code == 0 for result in self.results)

    def problems(self) -> list[str]:
        """One line per failed command, for a human or for the task's ## Attempts."""
        lines = []
        for result in self.results:
            if result.exit_code == 0:
                continue
            how = (
                f"timed out (exit {result.exit_code})"
                if result.timed_out
                else f"exited {result.exit_code}"
            )
            last = result.tail.strip().splitlines()[-1:] if result.tail.strip() else []
            lines.append(f"`{result.command}` {how}" + (f": {last[0].strip()}" if last else ""))
        return lines

    def as_dict(self) -> dict:
        return {
            "task": self.task,
            "passed": self.passed,
            "commit": self.commit,
            "at": self.at,
            "results": [result.as_dict() for result in self.results],
        }


def timeout_of(ws: Workspace) -> float:
    value = ws.settings.raw.get("verify_timeout", DEFAULT_TIMEOUT)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return DEFAULT_TIMEOUT
    return float(value)


def run_command(
    command: str, cwd, timeout: float, extra_env: dict[str, str] | None = None
) -> CommandResult:
    # The commands are the task's own shell lines; git variables of a calling hook must not leak.
    env = {k: v for k, v in os.environ.items() if k not in git._MISLEADING}
    env.update(extra_env or {})  # the loop's slot and ports
    try:
        proc = subprocess.run(
            command,
            shell=True,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            timeout=timeout,
            check=False,
        )
        output, code, timed_out = proc.stdout, proc.returncode, False
    except subprocess.TimeoutExpired as exc:
        output, code, timed_out = exc.stdout or b"", TIMEOUT_EXIT, True
    text = output.decode("utf-8", "replace") if isinstance(output, bytes) else output
    tail = "\n".join(text.rstrip("\n").splitlines()[-TAIL_LINES:])
    if timed_out:
        tail = (tail + "\n" if tail else "") + f"(stopped after {timeout:g} s)"
    return CommandResult(command, code, tail, timed_out)


def run_verify(
    ws: Workspace,
    task: Task,
    *,
    record: bool = True,
    extra_env: dict[str, str] | None = None,
    note: Callable[[str], None] | None = None,
) -> VerifyOutcome:
    """Run every verify command (all of them, not up to the first failure) and record it;
    in a verify slot when plan.md caps them (`note` says when it waits for one)."""

    commit = git.head(ws.root)
    at = clock.stamp()
    timeout = timeout_of(ws)
    clean = not uncommitted(ws.root)  # before: a command may write files of its own
    with verify_slots.held(ws, note) as slot:
        env = {**(extra_env or {}), **slot}
        results = tuple(run_command(command, ws.root, timeout, env) for command in task.verify)
    outcome = VerifyOutcome(task.id, commit, at, results)
    if record:
        with ws.lock():
            editor = ws.edit(task.path)
            editor.set("verified_commit", commit or "")
            editor.set("verified_at", at)
            editor.set_list("verify_exit", [result.exit_code for result in results])
            editor.set("verified_clean", clean)
            ws.save(task.path, editor.text)
        ws.refresh()
    return outcome


ENVIRONMENTS = ("node_modules/", ".venv/", "venv/", ".tox/", ".nox/")  # untracked, not work


def uncommitted(root) -> list[str]:
    """Files changed or added outside .agents/ and not committed: what a verify run at HEAD
    would test although HEAD does not hold it. An untracked environment (a virtualenv, even one
    the project's .gitignore forgot, node_modules) is not work."""
    result = git.run(
        ["status", "--porcelain", "-z", "--no-renames", "--untracked-files=normal"],
        root,
        check=False,
    )
    found = []
    for entry in git.split_z(result.stdout):
        path = entry[3:]
        if len(entry) <= 3 or path.startswith(AGENTS_DIR + "/"):
            continue
        if entry.startswith("??") and path.endswith("/"):
            name = path.rstrip("/").rsplit("/", 1)[-1] + "/"
            if name in ENVIRONMENTS or os.path.exists(os.path.join(root, path, "pyvenv.cfg")):
                continue
        found.append(path)
    return found


def only_bookkeeping_since(root, commit: str) -> bool:
    """Whether every commit from `commit` to HEAD changed .agents/ files only (the handoff,
    the task's own fields): the verify pass at `commit` still holds for HEAD."""
    ancestor = git.run(["merge-base", "--is-ancestor", commit, "HEAD"], root, check=False)
    if commit.startswith("-") or ancestor.returncode != 0:
        return False
    changed = git.run(
        ["diff", "--name-only", "--no-renames", "-z", commit, "HEAD", "--"], root, check=False
    )
    return changed.returncode == 0 and all(
        path.startswith(AGENTS_DIR + "/") for path in git.split_z(changed.stdout)
    )


def recorded_pass(ws: Workspace, task: Task) -> str | None:
    """Why the recorded verification does not count for HEAD now; None when it does. It counts
    when it ran on a clean tree (outside .agents/) at HEAD, or at a commit after which only
    .agents/ files changed: committing the handoff does not send the tests round again."""
    if not task.verify:
        return None
    fields = task.record.fields
    commit, exits = fields.get("verified_commit"), fields.get("verify_exit")
    if not fields.get("verified_at") or not isinstance(exits, list):
        return f"its verify commands have not been run: run 'agentmd verify {task.id}'"
    if any(code != 0 for code in exits):  # said first: wherever it ran, there was no pass
        return (
            f"its verify commands failed (exit codes {exits}): fix them, commit the work and "
            f"run 'agentmd verify {task.id}'"
        )
    if fields.get("verified_clean") is not True:
        why = (
            "ran over uncommitted changes"
            if fields.get("verified_clean") is False
            else "were recorded without saying whether the tree was clean"
        )
        return (
            f"its verify commands {why} (outside {AGENTS_DIR}/), so the pass does not hold for "
            f"any commit: commit the work, then run 'agentmd verify {task.id}' again"
        )
    head = git.head(ws.root)  # asked only here: a board of 10,000 tasks asked it for each
    if head and str(commit or "") != head and not only_bookkeeping_since(ws.root, str(commit)):
        return (
            f"its verify commands ran at {str(commit or 'no commit')[:12]}, not at HEAD "
            f"{head[:12]}, and files outside {AGENTS_DIR}/ changed since: "
            f"run 'agentmd verify {task.id}' again"
        )
    if len(exits) != len(task.verify):
        return (
            f"its verify commands changed since they ran ({len(exits)} recorded, "
            f"{len(task.verify)} now): run 'agentmd verify {task.id}' again"
        )
    return None
