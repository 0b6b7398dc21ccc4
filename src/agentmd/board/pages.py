"""The board's pages as HTML strings: the columns, a task, the graph, the parallel picture and the
loop. Each asks the core for what it shows; this module only lays it out."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from agentmd.board import depgraph
from agentmd.board.html import Links, esc, markdown
from agentmd.board.state import Card, Filters, State, inside
from agentmd.errors import AgentmdError, LocatedError, Problem
from agentmd.tasks import parallel
from agentmd.workspace.folder import Workspace
from agentmd.workspace.records import Task

# What each action button does: the CLI command it stands for, and when it is offered.
ACTIONS = {
    "release": "agentmd release",
    "reopen": "agentmd reopen",
    "done": "agentmd done",
}


def _count(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def _problems(problems: list[Problem]) -> str:
    if not problems:
        return ""
    items = "".join(
        f'<li class="finding {esc(p.severity)}"><code>{esc(p.path)}:{p.line}:{p.col}</code> '
        f"<b>{esc(p.severity)} {esc(p.code)}</b>: {esc(p.message)}"
        + (f'<div class="hint">hint: {esc(p.hint)}</div>' if p.hint else "")
        + "</li>"
        for p in problems
    )
    return f'<ul class="findings">{items}</ul>'


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
        badges.append(f'<span class="badge attempts">{_count(c.attempts, "attempt")}</span>')
    if errors:
        badges.append(f'<span class="badge errors">{_count(errors, "error")}</span>')
    if warnings:
        badges.append(f'<span class="badge warnings">{_count(warnings, "warning")}</span>')
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
        f'<div class="summary"><b>{_count(total, "task")}</b> {counts}'
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
            f"{_count(len(state.unreadable), 'file')} cannot be read</summary>"
            f"{_problems(state.unreadable)}</details>"
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


# -- a task ----------------------------------------------------------------------------------


def task_page(
    ws: Workspace, state: State, task: Task, links: Links, actions: bool, tree=None
) -> str:
    """`tree` (a handoffs.changes.WorkTree) may be shared by many pages: it asks git once."""
    parts = [
        f'<div class="task-head"><h1>{esc(task.title)}</h1>'
        f'<span class="status s-{esc(task.status)}">{esc(task.status)}</span>'
        f'<code class="id">{esc(task.id)}</code></div>'
    ]
    if actions and not links.static:
        parts.append(_actions(state, task))
    mine = [p for p in state.problems if p.path == ws.display(task.path)]
    if task.record.problem is not None:
        mine.insert(0, task.record.problem)
    parts.append(_problems(mine))
    parts.append('<div class="task-grid"><div class="task-main">')
    doc = None
    if not task.broken:
        try:
            doc = ws.read(task.path)
        except LocatedError as exc:
            parts.append(_problems([exc.problem]))
    if doc is not None:
        parts.append(f'<article class="body markdown">{markdown(doc.body)}</article>')
    parts.append(_prompt(ws, task))
    parts.append(_handoffs(ws, task, links, tree))
    parts.append(_reviews(ws, task))
    parts.append('</div><aside class="task-side">')
    parts.append(_fields(task))
    parts.append(_verify(ws, task))
    parts.append(_attempts(ws, task, doc))
    parts.append("</aside></div>")
    return "".join(parts)


def _actions(state: State, task: Task) -> str:
    buttons = []
    claim = next((c for c in state.board.active if c.task.id == task.id), None)
    if task.status in ("active", "review") and task.claimed_by:
        stale = " (stale)" if claim and claim.stale else ""
        buttons.append(("release", f"Release claim{stale}"))
    if task.status == "failed":
        buttons.append(("reopen", "Reopen"))
    if task.status == "review":
        buttons.append(("done", "Mark reviewed (done)"))
    if not buttons:
        return ""
    html = "".join(
        f'<button class="action" data-action="{name}" data-task="{esc(task.id)}" '
        f'title="{esc(ACTIONS[name])} {esc(task.id)}">{esc(label)}</button>'
        for name, label in buttons
    )
    return f'<div class="actions">{html}</div>'


def _fields(task: Task) -> str:
    rows = []
    for key, value in task.record.fields.items():
        if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
            shown = ", ".join(str(v) for v in value) if value else "none"
        elif isinstance(value, str):
            shown = value
        else:
            shown = json.dumps(value, ensure_ascii=False, default=str)
        rows.append(f"<tr><th>{esc(key)}</th><td>{esc(shown)}</td></tr>")
    return (
        f'<section class="panel fields"><h2>Fields</h2><table>{"".join(rows)}</table>'
        f'<p class="path"><code>.agents/{esc(task.path)}</code></p></section>'
    )


def _prompt(ws: Workspace, task: Task) -> str:
    from agentmd.prompt import compiler

    head = '<section class="panel prompt"><h2>The prompt <code>agentmd next</code> compiles</h2>'
    if task.broken:
        return head + "<p>its file cannot be read</p></section>"
    try:
        compiled = compiler.compile_prompt(ws, task)
    except AgentmdError as exc:
        return head + f'<p class="refused">{esc(exc)}</p></section>'
    rows = []
    largest = max((tokens for _, tokens in compiled.parts), default=1) or 1
    for name, tokens in compiled.parts:
        width = max(1, min(100, round(100 * tokens / largest)))  # the largest part fills it
        rows.append(
            f'<tr class="part" data-part="{esc(name)}"><th>{esc(name)}</th>'
            f'<td class="num">{tokens:,}</td>'
            f'<td class="bar"><span class="w{width}"></span></td></tr>'
        )
    dropped = ""
    if compiled.dropped:
        items = "".join(
            f"<li>{esc(item.part)}: {esc(item.name)} (~{item.tokens:,} tokens)</li>"
            for item in compiled.dropped
        )
        dropped = f'<div class="dropped"><h3>Left out to fit the budget</h3><ul>{items}</ul></div>'
    else:
        dropped = '<p class="dropped none">Nothing left out: the whole prompt fits.</p>'
    return (
        head + f'<p class="total"><b>{compiled.tokens:,}</b> of {compiled.budget:,} tokens '
        f"({esc(compiled.counter)})</p>"
        f'<table class="parts">{"".join(rows)}</table>{dropped}'
        f'<details><summary>the prompt</summary><pre class="prompt-text">{esc(compiled.prompt)}'
        "</pre></details></section>"
    )


def _handoffs(ws: Workspace, task: Task, links: Links, shared=None) -> str:
    from agentmd.handoffs import judge, names
    from agentmd.handoffs.reading import Readings

    mine = sorted(
        (h for h in ws.handoffs if h.task == task.id),
        key=lambda h: names.order_key(h.path),
        reverse=True,
    )
    head = '<section class="panel handoffs"><h2>Handoffs</h2>'
    if not mine:
        return head + "<p>none yet</p></section>"
    tree = shared or judge.WorkTree(ws)
    out = [head]
    for n, handoff in enumerate(mine):
        display = ws.display(handoff.path)
        problems = judge.check_handoff_file(ws, handoff.path, tree=tree)
        try:
            doc = ws.read(handoff.path)
        except LocatedError as exc:
            out.append(_problems([exc.problem]))
            continue
        reading = Readings(None).get(doc, False)
        listed = [path for _, path in reading.artifacts]
        base = handoff.base
        changes = tree.changes(base, tree.end_of(display)) if base else None
        verdict = "valid" if not any(p.severity == "error" for p in problems) else "invalid"
        latest = " (latest)" if n == 0 else ""
        out.append(
            f'<article class="handoff {verdict}"><h3><code>{esc(display)}</code>{latest} '
            f'<span class="verdict {verdict}">{verdict}</span> '
            f'<span class="status">{esc(handoff.status)}</span></h3>'
            + _problems(problems)
            + _artifacts(listed, changes, base, links)
            + f'<details><summary>the handoff</summary><div class="markdown">{markdown(doc.body)}'
            "</div></details></article>"
        )
    if shared is None:
        tree.save()
    out.append("</section>")
    return "".join(out)


def _reviews(ws: Workspace, task: Task) -> str:
    """The model's reviews of the task (`agentmd review`, the loop's `--review`), newest first."""
    from agentmd.api.findings_file import FOLDER

    root = ws.root.resolve()
    try:
        names = sorted((p.name for p in (ws.agents / FOLDER).glob("*.md")), reverse=True)
    except OSError:
        names = []
    found = []
    for name in names:
        rel = f"{FOLDER}/{name}"
        if not inside(root, ws.agents / rel):
            continue
        try:
            doc = ws.read(rel)
        except LocatedError:
            continue
        if str(doc.fields.get("task") or "") != task.id:
            continue
        verdict = str(doc.fields.get("verdict") or "")
        blocking = doc.fields.get("blocking")
        cls = "invalid" if blocking else "valid"
        found.append(
            f'<article class="review"><h3><code>{esc(ws.display(rel))}</code> '
            f'<span class="verdict {cls}">{esc(verdict or "no verdict")}</span></h3>'
            f'<div class="markdown">{markdown(doc.body)}</div></article>'
        )
    if not found:
        return ""
    return f'<section class="panel reviews"><h2>Reviews</h2>{"".join(found)}</section>'


def _artifacts(listed: list[str], changes, base: str, links: Links) -> str:
    def item(path: str, ok: bool | None) -> str:
        href = links.file(path)
        name = f'<a href="{esc(href)}">{esc(path)}</a>' if href else esc(path)
        cls = "unknown" if ok is None else ("match" if ok else "mismatch")
        return f'<li class="{cls}"><code>{name}</code></li>'

    if changes is None:
        diff = (
            "<p>no diff: the handoff names no base</p>"
            if not base
            else f"<p>no diff: <code>{esc(base[:12])}</code> is not a commit here</p>"
        )
        real: set[str] = set()
    else:
        real = set(changes.files)
        diff_items = "".join(
            item(p + (" (deleted)" if p in changes.deleted else ""), _covered(p, listed))
            for p in sorted(real)
        )
        diff = f"<ul>{diff_items or '<li>nothing outside .agents/</li>'}</ul>"
    listed_items = "".join(
        item(p, None if changes is None else (p in real or _covered_by(p, real))) for p in listed
    )
    return (
        '<div class="artifacts"><div><h4>Artifacts (as written)</h4>'
        f"<ul>{listed_items or '<li>none listed</li>'}</ul></div>"
        f"<div><h4>The real diff <code>{esc(base[:12] or '–')}..</code></h4>{diff}</div></div>"
    )


def _covered(path: str, listed: list[str]) -> bool:
    return any(path == p or path.startswith(p.rstrip("/") + "/") for p in listed)


def _covered_by(listed: str, real: set[str]) -> bool:
    prefix = listed.rstrip("/") + "/"
    return any(p.startswith(prefix) for p in real)


def _verify(ws: Workspace, task: Task) -> str:
    from agentmd.tasks.verification import recorded_pass

    head = '<section class="panel verify"><h2>Verify</h2>'
    if not task.verify:
        return head + "<p>no verify commands</p></section>"
    fields = task.record.fields
    exits = fields.get("verify_exit")
    rows = []
    for n, command in enumerate(task.verify):
        code = exits[n] if isinstance(exits, list) and n < len(exits) else None
        mark = "–" if code is None else ("pass" if code == 0 else f"exit {code}")
        cls = "none" if code is None else ("pass" if code == 0 else "fail")
        rows.append(f'<li class="{cls}"><code>{esc(command)}</code> <b>{esc(mark)}</b></li>')
    why = recorded_pass(ws, task) if not task.broken else None
    ran = fields.get("verified_at")
    commit = str(fields.get("verified_commit") or "")
    at = f"<p>last run {esc(ran)} at <code>{esc(commit[:12])}</code></p>" if ran else ""
    verdict = f'<p class="refused">{esc(why)}</p>' if why else '<p class="ok">passed at HEAD</p>'
    return head + f'<ul class="commands">{"".join(rows)}</ul>{at}{verdict}</section>'


def _attempts(ws: Workspace, task: Task, doc) -> str:
    from agentmd.loop import runs

    head = (
        '<section class="panel attempts"><h2>Attempts '
        f'<span class="count">{task.attempts}</span></h2>'
    )
    section = doc.section("Attempts") if doc is not None else None
    body = (
        markdown(section.full) if section and section.full else "<p>no failed attempt recorded</p>"
    )
    logs = []
    folder = runs.folder(ws, task.id)
    root = ws.root.resolve()
    try:
        names = sorted(p.name for p in folder.iterdir() if p.name.endswith(".log"))
    except OSError:
        names = []
    for name in names:
        path = folder / name
        if not inside(root, path):
            continue
        logs.append(
            f"<details><summary>{esc(name)}</summary><pre>{esc(runs.tail(path, 30, 4000))}"
            "</pre></details>"
        )
    return head + f'<div class="markdown">{body}</div>{"".join(logs)}</section>'


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
