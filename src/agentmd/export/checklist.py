"""The plan as one Markdown page in the orchestration pattern's form: Completed (who, and the
handoff's summary line), In Progress (owner, since when), Pending (ready first, in the order
`next` takes them, then blocked with what blocks them). Deterministic: the same files give
the same bytes, so the page can be committed and diffed, and `check` says when it is stale."""

from __future__ import annotations

import re
from pathlib import Path

from agentmd.errors import LocatedError, Problem
from agentmd.files import textfile
from agentmd.tasks import graph
from agentmd.workspace.folder import Workspace
from agentmd.workspace.records import Task

MARKER = "<!-- agentmd export checklist: written from .agents/tasks; edit those, not this page -->"
SETTING = "checklist"  # plan.md: the committed page `check` keeps an eye on


def summary_line(ws: Workspace, task: Task) -> str:
    """The first sentence of the latest handoff's Summary, or ''."""
    latest = ws.latest_handoffs.get(task.id)
    if latest is None:
        return ""
    try:
        doc = ws.read(latest.path)
    except LocatedError:
        return ""
    section = doc.section("Summary")
    text = " ".join((section.text if section else "").split())
    match = re.match(r"(.+?[.!?])(\s|$)", text)
    return (match.group(1) if match else text)[:200]


def render(ws: Workspace, fmt: str = "markdown") -> str:
    tasks = ws.tasks
    plan = graph.analyse(tasks)
    done = sorted((t for t in tasks.values() if t.status == "done"), key=lambda t: t.id)
    moving = sorted(
        (t for t in tasks.values() if t.status in ("active", "review")), key=lambda t: t.id
    )
    ready = [c.task for c in plan.ready]
    ready_ids = {t.id for t in ready}
    waiting = sorted(
        (
            t
            for t in tasks.values()
            if t.status in ("todo", "blocked", "failed") and t.id not in ready_ids
        ),
        key=lambda t: t.id,
    )
    level = "###" if fmt == "github" else "##"
    title = ws.settings.title or "the project"
    out = [] if fmt == "github" else [f"# Plan: {title}", "", MARKER, ""]
    if fmt == "github":
        out += [
            f"**Plan: {title}**: {len(done)} done, {len(moving)} in progress, "
            f"{len(ready)} ready, {len(waiting)} waiting",
            "",
        ]
    out += [f"{level} Completed ({len(done)})", ""]
    for t in done:
        who = t.claimed_by or str(t.record.fields.get("owner") or "")
        line = f"- [x] `{t.id}` {_one_line(t.title)}"
        if who:
            line += f" (by {who})"
        summary = summary_line(ws, t)
        if summary:
            line += f": {summary}"
        elif t.record.fields.get("source"):
            line += f" (imported from {t.record.fields['source']})"
        out.append(line)
    out += [""] if done else []
    out += [f"{level} In Progress ({len(moving)})", ""]
    for t in moving:
        line = f"- [ ] `{t.id}` {_one_line(t.title)}"
        bits = []
        if t.status == "review":
            bits.append("in review")
        if t.claimed_by:
            bits.append(t.claimed_by)
        if t.claimed_at:
            bits.append(f"since {t.claimed_at}")
        out.append(line + (f" ({', '.join(bits)})" if bits else ""))
    out += [""] if moving else []
    out += [f"{level} Pending ({len(ready) + len(waiting)})", ""]
    for t in ready:
        out.append(f"- [ ] `{t.id}` {_one_line(t.title)} (ready)")
    for t in waiting:
        if t.status in ("blocked", "failed"):
            why = str(t.record.fields.get("blocked_reason") or "") or t.status
            reasons = [f"{t.status}: {why}" if why != t.status else t.status]
        else:
            reasons = graph.blockers(t, tasks)
        out.append(f"- [ ] `{t.id}` {_one_line(t.title)} ({'; '.join(reasons)})")
    return "\n".join(out).rstrip("\n") + "\n"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def stale_problems(ws: Workspace) -> list[Problem]:
    """A warning when plan.md's `checklist:` page differs from what export writes now."""
    name = ws.settings.raw.get(SETTING)
    if not isinstance(name, str) or not name.strip():
        return []
    path = ws.root / name
    shown = name
    hint = f"agentmd export checklist -o {name}"
    if not path.is_file():
        return [
            Problem(
                shown,
                1,
                1,
                "checklist-missing",
                "plan.md names this page, which is not there",
                hint,
                "warning",
            )
        ]
    try:
        current = textfile.read_text(path, shown)
    except LocatedError as exc:
        return [exc.problem]
    if current == render(ws):
        return []
    return [
        Problem(
            shown,
            1,
            1,
            "checklist-stale",
            "the plan changed since this page was exported",
            hint,
            "warning",
        )
    ]


def write(ws: Workspace, path: Path, text: str) -> None:
    textfile.atomic_write(path, text)
