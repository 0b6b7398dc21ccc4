"""What happens to a task: added, claimed, done, failed, blocked; each event one log line."""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import os
import re
import socket
import unicodedata
from collections.abc import Callable, Iterator

from agentmd import git
from agentmd.errors import AgentmdError, NothingToDo, Problem
from agentmd.files import sections, textfile
from agentmd.files.edit import Editor
from agentmd.tasks import graph
from agentmd.workspace.folder import Workspace, check_id
from agentmd.workspace.records import PRIORITIES, Task

LOG = "memory/log.md"


def now() -> dt.datetime:
    """The clock, in UTC to the second (AGENTMD_NOW pins it, for tests and replays)."""
    pinned = os.environ.get("AGENTMD_NOW")
    if pinned:
        return dt.datetime.fromisoformat(pinned.replace("Z", "+00:00")).astimezone(dt.UTC)
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def stamp(moment: dt.datetime | None = None) -> str:
    return (moment or now()).strftime("%Y-%m-%dT%H:%M:%SZ")


def default_owner() -> str:
    return os.environ.get("AGENTMD_AGENT") or f"{getpass.getuser()}@{socket.gethostname()}"


@contextlib.contextmanager
def changing(ws: Workspace) -> Iterator[None]:
    """The workspace lock for a change that ends with a line in the log, refused before anything
    is written when the log could not take that line."""
    with ws.lock():
        textfile.require_file(ws.agents / LOG, ws.display(LOG))
        yield


def log(ws: Workspace, event: str, task_id: str, detail: str = "") -> None:
    line = f"- {stamp()} {event} {task_id}" + (f": {detail}" if detail else "")
    textfile.append_line(ws.agents / LOG, line.replace("\n", " "), ws.display(LOG))


# -- adding ----------------------------------------------------------------------------------


def slugify(title: str) -> str:
    text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:60].rstrip("-") or "task"


def add_task(
    ws: Workspace,
    title: str,
    *,
    task_id: str | None = None,
    priority: str = "medium",
    depends_on: tuple[str, ...] = (),
    inputs: tuple[str, ...] = (),
    outputs: tuple[str, ...] = (),
    verify: tuple[str, ...] = (),
    render: Callable[[dict], str],
) -> str:
    """Write tasks/<id>.md and return the id; an id taken already gets -2, -3..."""
    if not title.strip():
        raise AgentmdError("a task needs a title")
    if priority not in PRIORITIES:
        raise AgentmdError(f"priority must be one of {', '.join(PRIORITIES)}, not '{priority}'")
    for dep in depends_on:
        check_id(dep)
    from agentmd.checks.fields import PathGuard

    guard = PathGuard(ws.root)
    for option, paths in (("--input", inputs), ("--output", outputs)):
        for path in paths:
            why = guard.reason(path)
            if why:
                raise AgentmdError(
                    f"{option} '{path}' {why}",
                    "name paths relative to the repository root, inside it",
                )
    folder = ws.agents / "tasks"
    base = check_id(task_id) if task_id else slugify(title)
    with changing(ws):
        candidates = [base] if task_id else [base] + [f"{base}-{n}" for n in range(2, 1000)]
        for candidate in candidates:
            text = render(
                {
                    "title": title,
                    "priority": priority,
                    "depends_on": list(depends_on),
                    "inputs": list(inputs),
                    "outputs": list(outputs),
                    "verify": list(verify),
                    "created": now().date().isoformat(),
                }
            )
            if textfile.create_exclusive(folder / f"{candidate}.md", text):
                log(ws, "add", candidate, title)
                return candidate
    raise AgentmdError(f"a task with id '{base}' exists already", "choose another --id")


# -- changing status -------------------------------------------------------------------------


def _edit_task(ws: Workspace, task: Task, change: Callable[[Editor], None]) -> None:
    editor = ws.edit(task.path)
    change(editor)
    ws.save(task.path, editor.text)


def claim(ws: Workspace, task_id: str, owner: str) -> Task:
    """Claim one ready task, under the workspace lock so that only one claimant wins."""
    with changing(ws):
        ws.refresh()
        claim_task(ws, claimable(ws, task_id), owner)
    ws.refresh()
    return ws.task(task_id)


def claimable(ws: Workspace, task_id: str) -> Task:
    """The task, if it is ready to be claimed; NothingToDo saying why not."""
    task = ws.task(task_id)
    if task.status != "todo":
        raise NothingToDo(f"task '{task_id}' is {task.status}, not todo: it cannot be claimed")
    reasons = graph.blockers(task, ws.tasks)
    if reasons:
        raise NothingToDo(f"task '{task_id}' is not ready: " + "; ".join(reasons))
    return task


def claim_next(
    ws: Workspace, owner: str, choose: Callable[[list[graph.Candidate]], Task | None]
) -> Task | None:
    """Claim the first ready task that `choose` picks, atomically."""
    with changing(ws):
        ws.refresh()
        plan = graph.analyse(ws.tasks)
        task = choose(plan.ready)
        if task is None:
            return None
        claim_task(ws, task, owner)
    ws.refresh()
    return ws.task(task.id)


def claim_task(ws: Workspace, task: Task, owner: str) -> None:
    """Write the claim into the task's file and log it; the caller holds the lock."""
    base = git.head(ws.root)
    lease = ws.settings.lease

    def change(editor: Editor) -> None:
        editor.set("status", "active")
        editor.set("claimed_by", owner)
        editor.set("claimed_at", stamp())
        if lease:
            editor.set("lease", lease)
        if base:
            editor.set("base", base)

    _edit_task(ws, task, change)
    log(ws, "claim", task.id, f"by {owner}" + (f" at {base[:12]}" if base else ""))


def set_status(
    ws: Workspace,
    task_id: str,
    status: str,
    event: str,
    detail: str = "",
    extra: dict | None = None,
) -> Task:
    with changing(ws):
        ws.refresh()
        task = ws.task(task_id)

        def change(editor: Editor) -> None:
            editor.set("status", status)
            for key, value in (extra or {}).items():
                editor.set(key, value)

        _edit_task(ws, task, change)
        log(ws, event, task_id, detail)
    ws.refresh()
    return ws.task(task_id)


class DoneRefused(NothingToDo):
    """`done` refused: the verify commands did not pass at HEAD, or the handoff is not valid."""

    def __init__(self, task_id: str, problems: list[Problem]):
        super().__init__(
            f"refused to mark '{task_id}' done: {len(problems)} problem(s) above",
            "fix them; --force marks it done anyway and says so in memory/log.md",
        )
        self.problems = problems


def done_problems(ws: Workspace, task: Task) -> list[Problem]:
    """What stands between a task and done: its verification at HEAD, and a valid handoff."""
    from agentmd.handoffs.judge import task_handoff_problems
    from agentmd.tasks.verification import recorded_pass

    problems = []
    why = recorded_pass(ws, task)
    if why:
        problems.append(
            Problem(ws.display(task.path), task.record.line("verify"), 1, "verify-not-passed", why)
        )
    problems += [p for p in task_handoff_problems(ws, task) if p.severity == "error"]
    return problems


def done(ws: Workspace, task_id: str, *, force: bool = False) -> Task:
    """Mark a task done once its verify commands passed at HEAD and its handoff is valid."""
    task = ws.task(task_id)
    problems = done_problems(ws, task)
    if problems and not force:
        raise DoneRefused(task_id, problems)
    detail = ""
    if problems:
        detail = f"forced past {len(problems)} problem(s): " + "; ".join(
            p.message for p in problems
        )
    return set_status(ws, task_id, "done", "done", detail)


def block(ws: Workspace, task_id: str, reason: str) -> Task:
    if not reason.strip():
        raise AgentmdError("say why with --reason")
    return set_status(ws, task_id, "blocked", "block", reason, {"blocked_reason": reason})


def fail(ws: Workspace, task_id: str, reason: str, by: str = "") -> Task:
    """Record a failed attempt under ## Attempts; back to todo, or failed after max_attempts."""
    if not reason.strip():
        raise AgentmdError("say what went wrong with --reason")
    with changing(ws):
        ws.refresh()
        task = ws.task(task_id)
        attempt = task.attempts + 1
        status = "failed" if attempt >= ws.settings.max_attempts else "todo"
        editor = ws.edit(task.path)
        doc = ws.read(task.path)
        assert doc.fm is not None  # ws.edit refused a file without front matter
        who = f" by {task.claimed_by}" if task.claimed_by else (f" by {by}" if by else "")
        entry = f"- Attempt {attempt} ({stamp()}{who}): " + reason.strip().replace("\n", "\n  ")
        editor.text = sections.append_to_section(
            doc.text, doc.fm.body_start, doc.fm.body_line, "Attempts", entry
        )
        editor.set("status", status)
        editor.set("attempts", attempt)
        for key in ("claimed_by", "claimed_at", "lease"):
            editor.delete(key)
        ws.save(task.path, editor.text)
        log(ws, "fail", task_id, f"attempt {attempt}, now {status}: {reason.strip()}")
    ws.refresh()
    return ws.task(task_id)


# -- reopening (added for the board's action; `agentmd reopen` may bring its own) ------------


def reopen(ws: Workspace, task_id: str) -> Task:
    """A failed task back to todo, its attempts and their notes kept; refused for any other."""
    with changing(ws):
        ws.refresh()
        task = ws.task(task_id)
        if task.status != "failed":
            raise NothingToDo(f"task '{task_id}' is {task.status}: only a failed task is reopened")
        _edit_task(ws, task, lambda editor: editor.set("status", "todo"))
        log(ws, "reopen", task_id, f"after {task.attempts} attempt(s)")
    ws.refresh()
    return ws.task(task_id)
