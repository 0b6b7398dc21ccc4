"""`agentmd sync github`: status back to the issues the tasks came from (`source: github#N`):
the plan as a comment once its tasks are written, each done task's handoff summary, and the
issue closed when all its tasks are done (never by a failure). Each comment carries a marker,
so a second sync posts nothing new."""

from __future__ import annotations

import re
from dataclasses import dataclass

from agentmd.github import gh
from agentmd.tasks.provenance import done_in_source
from agentmd.workspace.folder import Workspace
from agentmd.workspace.records import Task

SOURCE_RE = re.compile(r"github#(\d+)(?:/|$)")
PLAN_MARK = "<!-- agentmd:plan -->"
DONE_MARK = "<!-- agentmd:done:{id} -->"
CLOSE_MARK = "<!-- agentmd:closed -->"


@dataclass(frozen=True)
class Call:
    """One `gh` call that changes something; `body` goes on stdin."""

    args: tuple[str, ...]
    body: str
    what: str  # for people: "commented on #12: the plan (3 tasks)"

    def shell(self) -> str:
        shown = " ".join(a if re.fullmatch(r"[\w./#:=-]+", a) else repr(a) for a in self.args)
        return f"gh {shown}" + (
            " <<'BODY'\n" + self.body.rstrip("\n") + "\nBODY" if self.body else ""
        )


def issues_of(ws: Workspace) -> dict[int, list[Task]]:
    linked: dict[int, list[Task]] = {}
    for task in sorted(ws.tasks.values(), key=lambda t: t.id):
        match = SOURCE_RE.match(str(task.record.fields.get("source") or ""))
        if match:
            linked.setdefault(int(match.group(1)), []).append(task)
    return linked


def plan_calls(ws: Workspace, number: int, tasks: list[Task], state: dict) -> list[Call]:
    """What to post on one issue, given what `gh issue view --json state,comments` says."""
    from agentmd.export.checklist import summary_line

    bodies = [str(c.get("body") or "") for c in state.get("comments") or []]
    posted = "\n".join(bodies)
    calls = []
    issue = str(number)
    if PLAN_MARK not in posted and any(not done_in_source(t.record.fields) for t in tasks):
        lines = [f"- [{'x' if t.status == 'done' else ' '}] `{t.id}` {t.title}" for t in tasks]
        body = (
            f"{PLAN_MARK}\nagentmd's plan for this issue ({len(tasks)} task(s)):\n\n"
            + "\n".join(lines)
        )
        calls.append(
            Call(
                ("issue", "comment", issue, "--body-file", "-"),
                body + "\n",
                f"commented on #{number}: the plan ({len(tasks)} task(s))",
            )
        )
    for t in tasks:
        mark = DONE_MARK.format(id=t.id)
        if t.status != "done" or done_in_source(t.record.fields) or mark in posted:
            continue
        summary = summary_line(ws, t) or "(no handoff summary)"
        body = f"{mark}\nDone: `{t.id}` {t.title}\n\n{summary}\n"
        calls.append(
            Call(
                ("issue", "comment", issue, "--body-file", "-"),
                body,
                f"commented on #{number}: {t.id} done",
            )
        )
    open_issue = str(state.get("state") or "OPEN").upper() == "OPEN"
    all_done = all(t.status == "done" for t in tasks)
    ours = any(not done_in_source(t.record.fields) for t in tasks)
    if open_issue and all_done and ours and CLOSE_MARK not in posted:
        comment = f"{CLOSE_MARK}\nAll {len(tasks)} task(s) for this issue are done (agentmd)."
        calls.append(
            Call(
                ("issue", "close", issue, "--comment", comment),
                "",
                f"closed #{number}: all {len(tasks)} task(s) done",
            )
        )
    return calls


def sync(ws: Workspace, *, dry_run: bool = False, echo=print) -> int:
    """Post what is new on every linked issue; returns how many calls were (or would be) made."""
    made = 0
    for number, tasks in issues_of(ws).items():
        state = gh.run_json(["issue", "view", str(number), "--json", "state,comments"], ws.root)
        for call in plan_calls(ws, number, tasks, state if isinstance(state, dict) else {}):
            made += 1
            if dry_run:
                echo(call.shell())
                continue
            gh.run(list(call.args), ws.root, input=call.body or None)
            echo(call.what)
    return made
