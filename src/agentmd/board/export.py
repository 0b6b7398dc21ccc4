"""`agentmd board --export DIR`: the same pages written as static files (for CI artifacts):
index.html, graph.html, parallel.html, loop.html, one task-<id>.html per task, the stylesheet."""

from __future__ import annotations

from pathlib import Path

from agentmd.board import pages, taskpage
from agentmd.board import state as board_state
from agentmd.board.html import Links, layout, task_file
from agentmd.board.server import asset
from agentmd.checks import passes
from agentmd.files import textfile
from agentmd.handoffs.changes import WorkTree
from agentmd.prompt.tokens import ESTIMATE
from agentmd.workspace.folder import Workspace


def export(ws: Workspace, folder: Path) -> int:
    """Write every page under `folder`; returns the number of files written."""
    links = Links(static=True)
    findings = tuple(passes.check_workspace(ws, ESTIMATE).problems)
    state = board_state.with_findings(
        board_state.build(ws), findings, board_state.findings_by_task(ws, findings)
    )
    title = state.board.title or "plan"
    folder.mkdir(parents=True, exist_ok=True)
    written = 0

    def write(name: str, page_title: str, active: str, body: str) -> None:
        nonlocal written
        text = layout(
            title=page_title, plan_title=title, active=active, body=body, links=links, live=""
        )
        textfile.atomic_write(folder / name, text, durable=False)  # pages made again at will
        written += 1

    write("index.html", "Board", "board", pages.board_page(state, board_state.Filters(), links))
    write("graph.html", "Graph", "graph", pages.graph_page(ws, state, links))
    write("parallel.html", "Parallel", "parallel", pages.parallel_page(ws, state, links))
    write("loop.html", "Loop", "loop", pages.loop_page(ws, state, links))
    tree = WorkTree(ws)  # one for every page: git's history is read once
    for task in sorted(ws.tasks.values(), key=lambda t: t.id):
        body = taskpage.task_page(ws, state, task, links, actions=False, tree=tree)
        write(task_file(task.id), task.title, "board", body)
    tree.save()
    (folder / "board.css").write_bytes(asset("board.css"))
    return written + 1
