"""The dependency graph as a server-side SVG picture: tasks in layers by depth, coloured by where
they stand (ready, active, blocked, done, failed), the critical path (the longest chain of
unfinished work) drawn bold. No JavaScript library: the browser draws SVG itself."""

from __future__ import annotations

from dataclasses import dataclass

from agentmd.board.html import Links, esc
from agentmd.tasks import graph
from agentmd.workspace.records import Task

MAX_NODES = 400  # beyond this a picture is no longer read; the page says how many are left out
NODE_W, NODE_H, GAP_X, GAP_Y, PAD = 250, 42, 64, 16, 20
LABEL, SUB = 28, 33  # characters of a title, and of the id and status, that fit a node


@dataclass(frozen=True)
class Picture:
    svg: str
    drawn: int
    left_out: int
    critical: list[str]


def kind(task: Task, plan: graph.Plan, ready: set[str]) -> str:
    """ready | active | blocked | done | failed: the colour of a node."""
    if task.status == "done":
        return "done"
    if task.status in ("active", "review"):
        return "active"
    if task.status == "failed":
        return "failed"
    if task.id in ready:
        return "ready"
    return "blocked"


def critical_path(tasks: dict[str, Task]) -> list[str]:
    """The longest chain of unfinished tasks through depends_on, first to last; ties go to the
    smaller id. Edges that close a cycle are ignored (check reports cycles)."""
    open_ids = sorted(tid for tid, task in tasks.items() if task.status != "done")
    length: dict[str, int] = {}
    after: dict[str, str | None] = {}  # the dependency that precedes a task on its longest chain
    on_stack: set[str] = set()
    for start in open_ids:
        if start in length:
            continue
        stack: list[tuple[str, int]] = [(start, 0)]
        while stack:
            tid, state = stack.pop()
            if state == 0:
                if tid in length:
                    continue
                on_stack.add(tid)
                stack.append((tid, 1))
                for dep in _open_deps(tasks, tid):
                    if dep not in length and dep not in on_stack:
                        stack.append((dep, 0))
            else:
                on_stack.discard(tid)
                best, prev = 0, None
                for dep in sorted(_open_deps(tasks, tid)):
                    if length.get(dep, 0) > best:
                        best, prev = length[dep], dep
                length[tid], after[tid] = best + 1, prev
    if not length:
        return []
    end = min(length, key=lambda tid: (-length[tid], tid))
    chain: list[str] = []
    node: str | None = end
    while node is not None and node not in chain:
        chain.append(node)
        node = after.get(node)
    return chain[::-1]


def _open_deps(tasks: dict[str, Task], tid: str) -> list[str]:
    return [
        dep
        for dep in tasks[tid].depends_on
        if dep in tasks and tasks[dep].status != "done" and dep != tid
    ]


def draw(tasks: dict[str, Task], plan: graph.Plan, links: Links) -> Picture:
    ready = {c.task.id for c in plan.ready}
    critical = critical_path(tasks)
    chosen = _choose(tasks, critical)
    layer = _layers(tasks, chosen)
    columns: dict[int, list[str]] = {}
    for tid in chosen:
        columns.setdefault(layer[tid], []).append(tid)
    position: dict[str, tuple[int, int]] = {}
    for depth in sorted(columns):
        ids = columns[depth]

        def barycentre(tid: str) -> tuple[float, str]:
            ys = [position[d][1] for d in tasks[tid].depends_on if d in position]
            return (sum(ys) / len(ys) if ys else -1.0, tid)

        ids.sort(key=barycentre)
        x = PAD + depth * (NODE_W + GAP_X)
        for row, tid in enumerate(ids):
            position[tid] = (x, PAD + row * (NODE_H + GAP_Y))
    width = PAD * 2 + (max(columns, default=0) + 1) * (NODE_W + GAP_X) - GAP_X
    height = PAD * 2 + max((len(v) for v in columns.values()), default=1) * (NODE_H + GAP_Y)
    on_path = set(critical)
    pairs = set(zip(critical, critical[1:], strict=False))
    edges, nodes = [], []
    for tid in chosen:
        x2, y2 = position[tid]
        for dep in tasks[tid].depends_on:
            if dep not in position:
                continue
            x1, y1 = position[dep]
            sx, sy, ex, ey = x1 + NODE_W, y1 + NODE_H // 2, x2, y2 + NODE_H // 2
            bend = max(30, (ex - sx) // 2)
            cls = "edge critical" if (dep, tid) in pairs else "edge"
            edges.append(
                f'<path class="{cls}" d="M{sx},{sy} C{sx + bend},{sy} {ex - bend},{ey} {ex},{ey}"'
                ' marker-end="url(#arrow)"/>'
            )
        task = tasks[tid]
        node_kind = kind(task, plan, ready)
        cls = f"node {node_kind}" + (" critical" if tid in on_path else "")
        label = _cut(task.title, LABEL)
        sub = f"{_cut(tid, SUB - len(task.status) - 3)} · {task.status}"
        halo = (
            f'<rect class="halo" x="{x2 - 4}" y="{y2 - 4}" width="{NODE_W + 8}" '
            f'height="{NODE_H + 8}" rx="10"/>'
            if tid in on_path
            else ""
        )
        nodes.append(
            f'<a href="{esc(links.task(tid))}" class="{cls}" data-id="{esc(tid)}">'
            f"<title>{esc(task.title)} ({esc(tid)}): {node_kind}</title>{halo}"
            f'<rect x="{x2}" y="{y2}" width="{NODE_W}" height="{NODE_H}" rx="7"/>'
            f'<text x="{x2 + 10}" y="{y2 + 17}" class="label">{esc(label)}</text>'
            f'<text x="{x2 + 10}" y="{y2 + 33}" class="sub">{esc(_cut(sub, SUB))}</text>'
            "</a>"
        )
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="depgraph" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        'aria-label="dependency graph">'
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" '
        'markerHeight="8" markerUnits="userSpaceOnUse" orient="auto-start-reverse">'
        '<path d="M0,0 L10,5 L0,10 z"/></marker>'
        "</defs>" + "".join(edges) + "".join(nodes) + "</svg>"
    )
    return Picture(svg, len(chosen), len(tasks) - len(chosen), critical)


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(1, width - 1)] + "…"


def _choose(tasks: dict[str, Task], critical: list[str]) -> list[str]:
    """Unfinished tasks first (the critical path before the rest), then the done tasks they
    depend on, up to MAX_NODES; in id order within each group."""
    chosen = dict.fromkeys(critical)
    for tid in sorted(tasks):
        if tasks[tid].status != "done":
            chosen.setdefault(tid)
    for tid in list(chosen):
        for dep in tasks[tid].depends_on:
            if dep in tasks:
                chosen.setdefault(dep)
    if len(chosen) < MAX_NODES:
        for tid in sorted(tasks):
            chosen.setdefault(tid)
    return list(chosen)[:MAX_NODES]


def _layers(tasks: dict[str, Task], chosen: list[str]) -> dict[str, int]:
    """Each drawn task's depth: one more than its deepest drawn dependency (cycles cut)."""
    drawn = set(chosen)
    depth: dict[str, int] = {}
    visiting: set[str] = set()
    for start in chosen:
        stack = [(start, False)]
        while stack:
            tid, done = stack.pop()
            if tid in depth:
                continue
            deps = [d for d in tasks[tid].depends_on if d in drawn and d != tid]
            if done:
                visiting.discard(tid)
                depth[tid] = 1 + max((depth.get(d, -1) for d in deps), default=-1)
                continue
            visiting.add(tid)
            stack.append((tid, True))
            stack.extend((d, False) for d in deps if d not in depth and d not in visiting)
    return depth
