"""A task's page: its fields and body, the prompt `next` compiles for it, its handoffs held
against the diff, the model's reviews, its verify runs and attempts, and (with --actions) the
buttons that stand for the CLI's release, reopen and done."""

from __future__ import annotations

import json

from agentmd.board.html import Links, esc, findings, markdown
from agentmd.board.state import State, inside
from agentmd.errors import AgentmdError, LocatedError
from agentmd.workspace.folder import Workspace
from agentmd.workspace.records import Task

# What each action button does: the CLI command it stands for.
ACTIONS = {
    "release": "agentmd release",
    "reopen": "agentmd reopen",
    "done": "agentmd done",
}


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
    parts.append(findings(mine))
    parts.append('<div class="task-grid"><div class="task-main">')
    doc = None
    if not task.broken:
        try:
            doc = ws.read(task.path)
        except LocatedError as exc:
            parts.append(findings([exc.problem]))
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
            out.append(findings([exc.problem]))
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
            + findings(problems)
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
