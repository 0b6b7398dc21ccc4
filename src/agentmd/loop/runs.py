"""The loop's record of each worker it starts, kept in files so a restarted loop picks up
where a killed one stopped: `.agents/.cache/runs/<task>/` holds run.json (written before the
claim, completed once the worker runs), and per attempt the prompt, the log and the exit code."""

from __future__ import annotations

import json
import os
import shutil
import signal
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from agentmd.files import textfile
from agentmd.workspace.folder import CACHE_DIR, Workspace

RUNS_DIR = "runs"
RECORD = "run.json"


@dataclass(frozen=True)
class Run:
    task: str
    attempt: int
    owner: str
    pid: int  # 0 until the worker started: a record without a pid is a start cut short
    process_start: str  # the kernel's start time of pid, so a reused pid is not mistaken
    started: float  # time.time() when the worker started
    deadline: float  # started + worker_timeout
    worktree: str
    branch: str
    slot: int = 0  # AGENTMD_SLOT: which block of ports (loop/slots.py) the worker has
    conflict: str = ""  # a conflict worker's: the commit its stopped rebase goes onto

    def folder(self, ws: Workspace) -> Path:
        return folder(ws, self.task)

    def log(self, ws: Workspace) -> Path:
        return self.folder(ws) / f"attempt-{self.attempt}.log"

    def exit_file(self, ws: Workspace) -> Path:
        return self.folder(ws) / f"attempt-{self.attempt}.exit"

    def prompt_file(self, ws: Workspace) -> Path:
        return self.folder(ws) / f"attempt-{self.attempt}.prompt.md"


def folder(ws: Workspace, task_id: str) -> Path:
    return ws.agents / CACHE_DIR / RUNS_DIR / task_id


def save(ws: Workspace, run: Run) -> None:
    textfile.atomic_write(folder(ws, run.task) / RECORD, json.dumps(asdict(run), indent=1) + "\n")


def set_aside(ws: Workspace, run: Run, why: str) -> Path | None:
    """The attempt's log renamed `attempt-N.WHY-K.log`, K the first free: an attempt not
    counted (a usage limit) is started again under its number, whose log would be written
    over. The new path, or None when there was no log."""
    log = run.log(ws)
    for k in range(1, 1000):
        kept = log.with_name(f"attempt-{run.attempt}.{why}-{k}.log")
        if kept.exists():
            continue
        try:
            os.rename(log, kept)
        except OSError:
            return None
        return kept
    return None


def drop(ws: Workspace, task_id: str) -> None:
    """Forget the run; the logs of its attempts stay."""
    try:
        (folder(ws, task_id) / RECORD).unlink()
    except FileNotFoundError:
        pass


def load(ws: Workspace) -> dict[str, Run]:
    found = {}
    base = ws.agents / CACHE_DIR / RUNS_DIR
    try:
        entries = sorted(os.scandir(base), key=lambda e: e.name)
    except FileNotFoundError:
        return {}
    for entry in entries:
        try:
            data = json.loads((Path(entry.path) / RECORD).read_text(encoding="utf-8"))
            found[entry.name] = Run(**data)
        except (OSError, ValueError, TypeError):
            continue
    return found


def process_start(pid: int) -> str:
    """Field 22 of /proc/PID/stat (start time in clock ticks); '' where there is no /proc."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[-1].split()[19]


def alive(run: Run) -> bool:
    if run.pid <= 0:
        return False
    try:
        os.kill(run.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    started = process_start(run.pid)
    return not run.process_start or not started or started == run.process_start


def exit_code(ws: Workspace, run: Run) -> int | None:
    try:
        text = run.exit_file(ws).read_text().strip()
    except OSError:
        return None
    try:
        return int(text)
    except ValueError:
        return None


def stop(run: Run, grace: float = 2.0) -> None:
    """Stop the worker and everything it started (its own process group)."""
    if run.pid <= 0:
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(run.pid, sig)
        except (ProcessLookupError, PermissionError):
            return
        end = time.monotonic() + grace
        while time.monotonic() < end:
            try:
                finished, _ = os.waitpid(run.pid, os.WNOHANG)
            except ChildProcessError:
                finished = 0 if alive(run) else run.pid
            if finished:
                return
            time.sleep(0.05)


def tail(path: Path, lines: int = 15, limit: int = 2000) -> str:
    try:
        data = path.read_bytes()[-limit * 2 :]
    except OSError:
        return "(no log)"
    text = data.decode("utf-8", "replace").rstrip()
    kept = text.splitlines()[-lines:]
    return "\n".join(kept)[-limit:] if kept else "(the log is empty)"


def describe(ws: Workspace) -> dict[str, str]:
    """For the board: each task the loop runs a worker for, and where its log is."""
    out = {}
    for task_id, run in load(ws).items():
        log = os.path.relpath(run.log(ws), ws.root)
        state = f"worker pid {run.pid}" if run.pid and alive(run) else "worker not running"
        out[task_id] = f"{state}, attempt {run.attempt}, log {log}"
    return out


def clear_attempts(ws: Workspace, task_id: str) -> None:
    """Remove a task's run folder (logs included): used when its worktree is pruned."""
    shutil.rmtree(folder(ws, task_id), ignore_errors=True)
