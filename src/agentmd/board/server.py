"""Serving the board: a Werkzeug WSGI app on its threaded server; each change the live state
(live.py) announces is pushed to the open pages as a server-sent event. Actions (only with
--actions) are POSTs that carry the run's token and call the same core functions as the CLI
commands they stand for."""

from __future__ import annotations

import hmac
import json
import os
import secrets
import socket
import threading
from collections.abc import Callable, Iterator
from importlib import resources
from pathlib import Path

from werkzeug.exceptions import BadRequest, Forbidden, HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from agentmd import AGENTS_DIR
from agentmd.board import pages, taskpage
from agentmd.board import state as board_state
from agentmd.board.html import Links, layout
from agentmd.board.live import Live, watch
from agentmd.errors import AgentmdError, LocatedError
from agentmd.files import textfile
from agentmd.workspace.folder import Workspace, check_id

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
ASSETS = {"board.css": "text/css; charset=utf-8", "board.js": "text/javascript; charset=utf-8"}
KEEPALIVE = 15.0


def asset(name: str) -> bytes:
    return resources.files("agentmd.board").joinpath("assets", name).read_bytes()


class Board:
    """The WSGI application."""

    def __init__(self, live: Live, *, actions: bool = False, hosts: tuple[str, ...] = ()):
        self.live = live
        self.actions = actions
        self.token = secrets.token_urlsafe(24) if actions else ""
        self.hosts = hosts  # Host headers accepted ("" : any), against DNS rebinding
        self.links = Links(static=False)
        self.url_map = Map(
            [
                Rule("/", endpoint="board"),
                Rule("/task/<task_id>", endpoint="task"),
                Rule("/graph", endpoint="graph"),
                Rule("/parallel", endpoint="parallel"),
                Rule("/loop", endpoint="loop"),
                Rule("/file/<path:rel>", endpoint="file"),
                Rule("/events", endpoint="events"),
                Rule("/assets/<name>", endpoint="asset"),
                Rule("/action/<name>/<task_id>", endpoint="action", methods=["POST"]),
            ],
            strict_slashes=False,
            merge_slashes=False,  # `/file//etc/passwd` is refused, not redirected
        )

    def __call__(self, environ, start_response):
        request = Request(environ)
        try:
            response = self.dispatch(request)
        except HTTPException as exc:
            response = self.error(exc)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        if self.hosts and request.host not in self.hosts:
            raise Forbidden(f"this board answers to {self.hosts[0]} only")
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            endpoint, values = adapter.match()
        except MethodNotAllowed:
            raise MethodNotAllowed(description="the board is read-only here") from None
        return getattr(self, f"on_{endpoint}")(request, **values)

    def error(self, exc: HTTPException) -> Response:
        body = (
            f'<h1>{exc.code} {exc.name}</h1><p class="refused">{_escape(exc.description or "")}</p>'
        )
        return self.html(exc.name, body, "", live="", status=exc.code or 500)

    def html(self, title: str, body: str, active: str, live: str = "plan", status: int = 200):
        text = layout(
            title=title,
            plan_title=self.live.state.board.title or "plan",
            active=active,
            body=body,
            links=self.links,
            live=live,
            token=self.token,
        )
        return Response(text, status=status, mimetype="text/html")

    def page(self, request: Request, title: str, active: str, body: str, live: str = "plan"):
        if request.args.get("fragment"):
            return Response(body, mimetype="text/html")
        return self.html(title, body, active, live)

    # -- pages ---------------------------------------------------------------------------------

    def on_board(self, request: Request) -> Response:
        filters = board_state.Filters.from_query(request.args)
        with self.live.lock:
            body = pages.board_page(self.live.state, filters, self.links)
        return self.page(request, "Board", "board", body)

    def on_task(self, request: Request, task_id: str) -> Response:
        try:
            check_id(task_id)
        except AgentmdError as exc:
            raise NotFound(str(exc)) from None
        with self.live.lock:
            task = self.live.ws.tasks.get(task_id)
            if task is None:
                raise NotFound(f"no task '{task_id}' in {AGENTS_DIR}/tasks/")
            body = taskpage.task_page(self.live.ws, self.live.state, task, self.links, self.actions)
        return self.page(request, task.title, "board", body, live="plan runs git")

    def on_graph(self, request: Request) -> Response:
        with self.live.lock:
            body = pages.graph_page(self.live.ws, self.live.state, self.links)
        return self.page(request, "Graph", "graph", body)

    def on_parallel(self, request: Request) -> Response:
        with self.live.lock:
            body = pages.parallel_page(self.live.ws, self.live.state, self.links)
        return self.page(request, "Parallel", "parallel", body, live="plan git")

    def on_loop(self, request: Request) -> Response:
        with self.live.lock:
            body = pages.loop_page(self.live.ws, self.live.state, self.links)
        return self.page(request, "Loop", "loop", body, live="plan runs")

    def on_file(self, request: Request, rel: str) -> Response:
        path = safe_path(self.live.ws.root, rel)
        try:
            text = textfile.read_text(path, rel)
        except LocatedError as exc:
            raise NotFound(exc.problem.message) from None
        return self.page(request, rel, "", pages.file_page(self.live.ws.root, rel, text), live="")

    def on_asset(self, request: Request, name: str) -> Response:
        if name not in ASSETS:
            raise NotFound("no such asset")
        return Response(asset(name), content_type=ASSETS[name])

    # -- live ----------------------------------------------------------------------------------

    def on_events(self, request: Request) -> Response:
        live = self.live

        def moved_from(seen: int) -> Callable[[], bool]:
            return lambda: live.version != seen or live.stopping

        def stream() -> Iterator[str]:
            last = live.version
            yield f"retry: 1000\nevent: hello\ndata: {json.dumps({'version': last})}\n\n"
            while not live.stopping:
                with live.changed:
                    live.changed.wait_for(moved_from(last), timeout=KEEPALIVE)
                if live.stopping:
                    return
                if live.version == last:
                    yield ": keepalive\n\n"
                    continue
                kinds = live.since(last)
                last = live.version
                data = json.dumps({"version": last, "kinds": sorted(kinds)})
                yield f"event: change\ndata: {data}\n\n"

        return Response(
            stream(),
            mimetype="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    # -- actions -------------------------------------------------------------------------------

    def on_action(self, request: Request, name: str, task_id: str) -> Response:
        if not self.actions:
            raise Forbidden("the board is read-only: start it with --actions to act from it")
        given = request.headers.get("X-Agentmd-Token", "") or request.form.get("token", "")
        if not given or not hmac.compare_digest(given, self.token):
            raise Forbidden("this action needs the board's token for this run")
        if name not in taskpage.ACTIONS:
            raise NotFound(f"no action '{name}'")
        try:
            with self.live.lock:
                message = act(self.live.ws, name, task_id)
        except AgentmdError as exc:
            # `done` prints the problems before its refusal; the page shows them with it
            found = [p.render() for p in getattr(exc, "problems", [])]
            return _json(
                {"ok": False, "message": str(exc), "hint": exc.hint, "problems": found}, 409
            )
        self.live.note("plan")
        return _json({"ok": True, "message": message})


def act(ws: Workspace, name: str, task_id: str) -> str:
    """An action from the board: the core call the CLI command makes, and the line it prints."""
    from agentmd.tasks import claims, lifecycle

    ws.refresh()
    task = ws.readable_task(task_id)
    if name == "release":
        claims.release(ws, task_id)
        return f"released {task_id}" + (
            f" (was {task.status}, by {task.claimed_by})" if task.claimed_by else ""
        )
    if name == "reopen":
        lifecycle.reopen(ws, task_id)
        return f"reopened {task_id}"
    if name == "done":
        lifecycle.done(ws, task_id)
        return f"done {task_id}"
    raise BadRequest(f"no action '{name}'")


def safe_path(root: Path, rel: str) -> Path:
    """A repository file named in a URL: absolute paths, `..` and symlinks that lead out of the
    repository are refused, and so is .git."""
    parts = rel.split("/")
    if (
        not rel
        or rel.startswith("/")
        or "\\" in rel
        or "\0" in rel
        or os.path.isabs(rel)
        or any(part in ("..", "") for part in parts)
        or parts[0] == ".git"
    ):
        raise Forbidden("only paths inside the repository are served")
    path = root / rel
    if not board_state.inside(root.resolve(), path):
        raise Forbidden("only paths inside the repository are served (a symlink leads out)")
    return path


def _json(data: dict, status: int = 200) -> Response:
    return Response(json.dumps(data), status=status, mimetype="application/json")


def _escape(text: str) -> str:
    from agentmd.board.html import esc

    return esc(text)


class Served:
    """A running board: the server, the watcher and the rebuilding thread."""

    def __init__(self, ws: Workspace, host: str, port: int, actions: bool):
        import logging

        from werkzeug.serving import make_server

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
        self.live = Live(ws)
        self.app = Board(self.live, actions=actions)
        # The socket is bound here so that a port in use is our error, not Werkzeug's exit.
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        listener = socket.create_server((host, port), family=family)
        try:
            self.server = make_server(host, port, self.app, threaded=True, fd=listener.fileno())
        finally:
            listener.close()  # the server holds its own duplicate of the socket
        bound = self.server.port
        shown = f"[{host}]" if ":" in host else host
        self.url = f"http://{shown}:{bound}/"
        if host in ("127.0.0.1", "localhost", "::1"):
            self.app.hosts = (f"{shown}:{bound}", f"localhost:{bound}", f"127.0.0.1:{bound}")
        self.worker = threading.Thread(target=self.live.run, daemon=True, name="board-rebuild")
        self.observer = watch(self.live)

    def serve_forever(self) -> None:
        self.worker.start()
        try:
            self.server.serve_forever()
        finally:
            self.close()

    def close(self) -> None:
        self.live.stop()
        self.observer.stop()
        self.server.server_close()
