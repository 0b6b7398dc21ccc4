"""What happens to a task: added, moved on, done, failed, blocked; each event one log line.
Claims and releases are in tasks/claims.py."""

from __future__ import annotations

import contextlib
import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence

from agentmd import clock, git
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
    depends_on: Sequence[str] = (),
    inputs: Sequence[str] = (),
    outputs: Sequence[str] = (),
    verify: Sequence[str] = (),
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
            if candidate in depends_on:
                raise AgentmdError(
                    f"task '{candidate}' cannot depend on itself",
                    "--depends-on names the tasks it waits for; a task waiting on itself is "
                    "never ready",
                )
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
                _planned_at(ws, f"tasks/{candidate}.md")
                log(ws, "add", candidate, title)
                return candidate
    raise AgentmdError(f"a task with id '{base}' exists already", "choose another --id")


def _planned_at(ws: Workspace, path: str) -> None:
    """The commit a task was planned at: what its inputs looked like when it was written, so
    that an agent can be told what moved since (tasks/moved.py)."""
    commit = git.head(ws.root)
    if commit:
        editor = ws.edit(path)
        editor.set("planned_at", commit)
        ws.save(path, editor.text)


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
    """What stands between a task and done: its verification at HEAD on committed work, a valid
    latest handoff that says the work is done, and, when the task has outputs, a diff that
    changed something."""
    from agentmd.handoffs.judge import WorkTree

    problems = []
    why = recorded_pass(ws, task)
    if why:
        problems.append(
            Problem(ws.display(task.path), task.record.line("verify"), 1, "verify-not-passed", why)
        )
    tree = WorkTree(ws)
    problems += handoff_done_problems(ws, task, tree)
    tree.save()
    return problems


def handoff_done_problems(ws: Workspace, task: Task, tree) -> list[Problem]:
    """The errors of the task's latest handoff in `tree` (the working tree, or a commit: the
    loop judges the branch it would merge), or that it has none; once it is valid, what it
    says against done (`unfinished`). `done` and the loop's gate both ask this."""
    from agentmd.handoffs.latest import task_findings, verdict

    line = task.record.line("status")
    found = task_findings(tree, task.id, task.status, ws.display(task.path), line)
    problems = [p for p in found if p.severity == "error"]
    latest = verdict(tree, task.id)
    if latest.valid and latest.path is not None:
        doc = tree.handoff_document(latest.path)
        if doc is not None:
            problems += unfinished(ws, task, doc, tree)
    return problems


def unfinished(ws: Workspace, task: Task, doc, tree) -> list[Problem]:
    """What a valid handoff says against done: a status other than done, work Remaining, or
    (for a task with outputs) a diff from its base that changed nothing."""
    from agentmd.handoffs.names import sections_of
    from agentmd.handoffs.reading import NONE_RE

    display = doc.display
    problems = []
    status = str(doc.fields.get("status") or "").strip().lower()
    if status != "done":
        problems.append(
            Problem(
                display,
                doc.line_of("status"),
                1,
                "handoff-not-done",
                f"the latest handoff says 'status: {status}': the session did not finish the task",
                "finish the work and write a handoff with 'status: done' and Remaining 'None'",
            )
        )
    remaining = sections_of(doc).get("Remaining")
    text = re.sub(r"<!--.*?-->", "", remaining.full, flags=re.S).strip() if remaining else ""
    if remaining is not None and not NONE_RE.match(text):
        problems.append(
            Problem(
                display,
                remaining.line,
                1,
                "handoff-remaining",
                "the latest handoff lists work under Remaining: the task is not finished",
                "do it (or make it a task of its own: agentmd add), then write 'None' there",
            )
        )
    if not task.outputs:
        return problems
    base = str(doc.fields.get("base") or "").strip()
    changes = tree.changes(base, tree.end_of(display)) if base else None
    if not base or (changes is not None and not changes.files):
        what = (
            f"the diff from base {base[:12]} changed no file outside {ws.display('')}"
            if base
            else "the handoff has no base, so nothing shows what the work changed"
        )
        problems.append(
            Problem(
                display,
                doc.line_of("base") if base else 1,
                1,
                "done-nothing-changed",
                f"{what}, and the task's outputs ({', '.join(task.outputs)}) say it changes files",
                "commit the work on top of the task's base; 'git diff --stat BASE' shows what "
                "changed",
            )
        )
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


REOPENABLE = ("failed", "blocked")


def reopen(ws: Workspace, task_id: str, reason: str = "") -> Task:
    """The way back from failed or blocked: todo again, without blocked_reason, the claim's
    fields or the attempt count (a fresh budget of max_attempts); the ## Attempts history
    stays, so the next prompt still shows what went wrong."""
    with changing(ws):
        ws.refresh()
        task = ws.task(task_id)
        if task.status not in REOPENABLE:
            hint = "agentmd release frees a claim" if task.status in ("active", "review") else ""
            raise NothingToDo(
                f"task '{task_id}' is {task.status}: only a failed or blocked task is reopened",
                hint,
            )
        editor = ws.edit(task.path)
        editor.set("status", "todo")
        for key in ("blocked_reason", "claimed_by", "claimed_at", "lease", "attempts"):
            editor.delete(key)
        ws.save(task.path, editor.text)
        after = f" after {task.attempts} attempt(s)" if task.attempts else ""
        log(ws, "reopen", task_id, f"was {task.status}{after}" + (f": {reason}" if reason else ""))
    ws.refresh()
    return ws.task(task_id)


def last_attempt(doc_text: str) -> str:
    """The last entry under ## Attempts as one line (`reasons.one_line`: a failed command with
    the line of its output that names the error), or ''."""
    from agentmd.files.sections import parse
    from agentmd.tasks.reasons import one_line

    found = [s for s in parse(doc_text) if s.key() == "attempts"]
    if not found or not found[-1].full:
        return ""
    lines = found[-1].full.splitlines()
    starts = [n for n, line in enumerate(lines) if line.startswith("- ")]
    if not starts:
        return ""
    entry = lines[starts[-1]]
    # `fail` indents the reason's further lines by two spaces under the entry
    rest = [line[2:] if line.startswith("  ") else line for line in lines[starts[-1] + 1 :]]
    return one_line("\n".join([entry[2:].strip(), *rest]))


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

