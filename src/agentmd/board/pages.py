"""The board's pages as HTML strings: the columns, the graph, the parallel picture and the loop
(a task's page is taskpage.py). Each asks the core for what it shows; this only lays it out."""

from __future__ import annotations

import os
import time
from pathlib import Path

from agentmd.board import depgraph
from agentmd.board.html import Links, count, esc, findings
from agentmd.board.state import Card, Filters, State, inside
from agentmd.tasks import parallel
from agentmd.workspace.folder import Workspace
from agentmd.workspace.records import Task

# -- the board -------------------------------------------------------------------------------


def card(c: Card, links: Links, badge_counts: tuple[int, int] = (0, 0)) -> str:
    errors, warnings = badge_counts
    classes = ["card", f"prio-{c.priority}"]
    if c.stale:
        classes.append("stale")
    if c.broken:
        classes.append("broken")
    if c.ready:
        classes.append("ready")
    claim = ""
    if c.owner:
        age = f" · {esc(c.age)}" if c.age else ""
        mark = ' <span class="stale-mark">stale</span>' if c.stale else ""
        claim = f'<div class="claim">{esc(c.owner)}{age}{mark}</div>'
    elif c.waits:
        claim = f'<div class="waits">{esc(c.waits)}</div>'
    badges = []
    if c.ready:
        badges.append('<span class="badge ready">ready</span>')
    if c.attempts:
        badges.append(f'<span class="badge attempts">{count(c.attempts, "attempt")}</span>')
    if errors:
        badges.append(f'<span class="badge errors">{count(errors, "error")}</span>')
    if warnings:
        badges.append(f'<span class="badge warnings">{count(warnings, "warning")}</span>')
    if c.broken:
        badges.append('<span class="badge errors">unreadable</span>')
    return (
        f'<a class="{" ".join(classes)}" href="{esc(links.task(c.id))}" data-id="{esc(c.id)}">'
        f'<div class="card-title">{esc(c.title)}</div>'
        f'<div class="card-meta"><span class="prio">{esc(c.priority)}</span>'
        f'<span class="id">{esc(c.id)}</span></div>{claim}'
        + (f'<div class="badges">{"".join(badges)}</div>' if badges else "")
        + "</a>"
    )


def board_page(state: State, filters: Filters, links: Links) -> str:
    columns = state.columns(filters)
    total = len(state.cards)
    counts = " · ".join(
        f'<span class="count-{esc(c.status)}">{c.total:,} {esc(c.status)}</span>'
        for c in columns
        if c.total
    )
    parts = [
        f'<div class="summary"><b>{count(total, "task")}</b> {counts}'
        + (
            f' · <span class="stale-mark">{len(state.board.stale)} stale</span>'
            if state.board.stale
            else ""
        )
        + "</div>"
    ]
    if not links.static:
        parts.append(_filter_form(state, filters))
    if state.unreadable:
        parts.append(
            '<details class="unreadable" open><summary>'
            f"{count(len(state.unreadable), 'file')} cannot be read</summary>"
            f"{findings(state.unreadable)}</details>"
        )
    cols = []
    for column in columns:
        if not column.total and column.status not in ("todo", "active", "review", "done"):
            continue
        cards = "".join(card(c, links, state.badges.get(c.id, (0, 0))) for c in column.cards)
        shown = len(column.cards)
        if column.matching > shown:
            more = f"showing {shown:,} of {column.matching:,}: search or filter to see the rest"
        elif filters.active() and column.matching != column.total:
            more = f"{column.matching:,} of {column.total:,} match"
        else:
            more = ""
        cols.append(
            f'<section class="column" data-status="{esc(column.status)}">'
            f'<h2><span>{esc(column.status)}</span><span class="count">{column.matching:,}'
            "</span></h2>"
            f'<div class="cards">{cards or "<p class=empty>nothing here</p>"}</div>'
            + (f'<p class="more">{esc(more)}</p>' if more else "")
            + "</section>"
        )
    parts.append(f'<div class="columns">{"".join(cols)}</div>')
    return "".join(parts)


def _filter_form(state: State, filters: Filters) -> str:
    options = ['<option value="">any status</option>'] + [
        f'<option value="{esc(s)}"{" selected" if s == filters.status else ""}>{esc(s)}</option>'
        for s in state.statuses
    ]

    def field(name: str, label: str, value: str) -> str:
        return (
            f'<input type="search" name="{name}" value="{esc(value)}" placeholder="{label}" '
            f'aria-label="{label}">'
        )

    return (
        '<form class="filters" method="get" action="/">'
        + field("text", "search title or id", filters.text)
        + f'<select name="status" aria-label="status">{"".join(options)}</select>'
        + field("owner", "owner", filters.owner)
        + field("tag", "tag", filters.tag)
        + field("path", "path", filters.path)
        + '<button type="submit">Filter</button></form>'
    )


# -- the graph, the parallel picture, the loop -------------------------------------------------


def graph_page(ws: Workspace, state: State, links: Links) -> str:
    from agentmd.tasks import graph

    plan = graph.analyse(ws.tasks)
    picture = depgraph.draw(ws.tasks, plan, links)
    legend = "".join(
        f'<span class="key {k}">{k}</span>'
        for k in ("ready", "active", "blocked", "done", "failed")
    )
    path = " → ".join(esc(t) for t in picture.critical) or "nothing left to do"
    left = (
        f'<p class="more">{picture.left_out:,} more tasks not drawn (done, or past the first '
        f"{depgraph.MAX_NODES})</p>"
        if picture.left_out
        else ""
    )
    cycles = "".join(
        f'<p class="refused">cycle: {esc(" → ".join([*c, c[0]]))}</p>' for c in plan.cycles
    )
    return (
        f'<div class="legend">{legend}<span class="key critical">critical path</span></div>'
        f'<p class="critical-path">Critical path ({len(picture.critical)}): {path}</p>'
        f'{cycles}{left}<div class="graph-wrap">{picture.svg}</div>'
    )


def parallel_page(ws: Workspace, state: State, links: Links) -> str:
    slots = ws.settings.raw.get("slots")
    limit = slots if isinstance(slots, int) and slots > 0 else 1
    limit = max(limit, 4)
    selection = parallel.pick(ws, limit)
    busy = parallel.busy_tasks(ws.tasks)

    def lane(task: Task, note: str, cls: str) -> str:
        outs = "".join(f"<li><code>{esc(o)}</code></li>" for o in task.outputs) or (
            "<li><em>no outputs declared</em></li>"
        )
        return (
            f'<div class="lane {cls}" data-id="{esc(task.id)}">'
            f'<a href="{esc(links.task(task.id))}"><b>{esc(task.title)}</b></a>'
            f' <code class="id">{esc(task.id)}</code> <span class="note">{esc(note)}</span>'
            f"<ul>{outs}</ul></div>"
        )

    running = "".join(
        lane(t, t.status + (f", {t.claimed_by}" if t.claimed_by else ""), "busy") for t in busy
    )
    chosen = "".join(lane(t, "would start now", "chosen") for t in selection.chosen)
    held = "".join(
        f'<li data-id="{esc(h.task.id)}"><a href="{esc(links.task(h.task.id))}">'
        f"{esc(h.task.id)}</a>: {esc(h.render().split(': ', 1)[1])}</li>"
        for h in selection.held
    )
    return (
        f"<p>What <code>agentmd next --parallel {limit} --explain</code> says now: the tasks in "
        "progress, the ready ones that can run beside them, and what holds the others back.</p>"
        '<div class="lanes">'
        f'<section class="panel"><h2>In progress <span class="count">{len(busy)}</span></h2>'
        f"{running or '<p>none</p>'}</section>"
        f'<section class="panel"><h2>Can start side by side <span class="count">'
        f"{len(selection.chosen)}</span></h2>{chosen or '<p>nothing ready</p>'}</section>"
        f'<section class="panel"><h2>Held back <span class="count">{len(selection.held)}</span>'
        f'</h2><ul class="held">{held or "<li>nothing</li>"}</ul></section></div>'
    )


def loop_page(ws: Workspace, state: State, links: Links) -> str:
    from agentmd.loop import runs

    records = runs.load(ws)
    root = ws.root.resolve()
    slots = []
    for task_id, run in records.items():
        task = ws.tasks.get(task_id)
        alive = run.pid > 0 and runs.alive(run)
        age = ""
        if run.started:
            seconds = max(0, int(time.time() - run.started))
            age = (
                f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
                if seconds >= 3600
                else (f"{seconds // 60}m{seconds % 60:02d}s")
            )
        log = run.log(ws)
        text = (
            runs.tail(log, 15, 3000) if inside(root, log) else "(the log is outside the repository)"
        )
        title = task.title if task else task_id
        slots.append(
            f'<section class="panel slot {"alive" if alive else "stopped"}" '
            f'data-id="{esc(task_id)}">'
            f'<h2><a href="{esc(links.task(task_id))}">{esc(title)}</a></h2>'
            f"<p><code>{esc(task_id)}</code> · attempt {run.attempt} · "
            f"{'running' if alive else 'not running'}"
            + (f" · {esc(age)}" if age else "")
            + f" · <code>{esc(os.path.relpath(log, ws.root))}</code></p>"
            f'<pre class="log">{esc(text)}</pre></section>'
        )
    log_lines = _log_tail(ws)
    return (
        f'<h2>Slots <span class="count">{len(records)}</span></h2>'
        + (
            "".join(slots)
            or "<p>no worker is running: start the loop with <code>agentmd run</code></p>"
        )
        + '<section class="panel"><h2>Recent events (memory/log.md)</h2>'
        f'<pre class="log">{esc(log_lines)}</pre></section>'
    )


def _log_tail(ws: Workspace) -> str:
    from agentmd.loop import runs

    path = ws.agents / "memory" / "log.md"
    if not inside(ws.root.resolve(), path):
        return "(the log is outside the repository)"
    return runs.tail(path, 25, 4000)


def file_page(root: Path, rel: str, text: str) -> str:
    return f'<h1><code>{esc(rel)}</code></h1><pre class="file">{esc(text)}</pre>'
