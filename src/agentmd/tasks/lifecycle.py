"""What happens to a task: added, moved on, done, failed, blocked; each event one log line.
Claims and releases are in tasks/claims.py."""

from __future__ import annotations

import contextlib
import re
import unicodedata
from collections.abc import Callable, Iterator

from agentmd import clock
from agentmd.errors import AgentmdError, NothingToDo, Problem
from agentmd.files import sections, textfile
from agentmd.files.edit import Editor
from agentmd.memory import log as memory_log
from agentmd.tasks.verification import recorded_pass
from agentmd.workspace.folder import Workspace, check_id
from agentmd.workspace.records import PRIORITIES, Task

LOG = "memory/log.md"
CLAIM_FIELDS = ("claimed_by", "claimed_at", "lease")  # what a claim writes (tasks/claims.py)


@contextlib.contextmanager
def changing(ws: Workspace) -> Iterator[None]:
    """The workspace lock for a change that ends with a line in the log, refused before anything
    is written when the log could not take that line."""
    with ws.lock():
        textfile.require_file(ws.agents / LOG, ws.display(LOG))
        yield


def log(ws: Workspace, event: str, task_id: str, detail: str = "") -> None:
    line = f"- {clock.stamp()} {event} {task_id}" + (f": {detail}" if detail else "")
    memory_log.append(ws, line.replace("\n", " "))


# -- adding ----------------------------------------------------------------------------------


def slugify(title: str) -> str:
    # An apostrophe joins its word ("serializer's" -> "serializers"), it does not split it.
    title = re.sub(r"(?<=\w)['\u2019](?=\w)", "", title)
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
                    "created": clock.today(),
                }
            )
            if textfile.create_exclusive(folder / f"{candidate}.md", text):
                log(ws, "add", candidate, title)
                return candidate
    raise AgentmdError(f"a task with id '{base}' exists already", "choose another --id")


# -- changing status -------------------------------------------------------------------------


def edit_task(ws: Workspace, task: Task, change: Callable[[Editor], None]) -> None:
    editor = ws.edit(task.path)
    change(editor)
    ws.save(task.path, editor.text)


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

        edit_task(ws, task, change)
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
        entry = f"- Attempt {attempt} ({clock.stamp()}{who}): " + reason.strip().replace(
            "\n", "\n  "
        )
        editor.text = sections.append_to_section(
            doc.text, doc.fm.body_start, doc.fm.body_line, "Attempts", entry
        )
        editor.set("status", status)
        editor.set("attempts", attempt)
        for key in CLAIM_FIELDS:
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
        edit_task(ws, task, lambda editor: editor.set("status", "todo"))
        log(ws, "reopen", task_id, f"after {task.attempts} attempt(s)")
    ws.refresh()
    return ws.task(task_id)
