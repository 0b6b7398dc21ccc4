"""Safe HTML for the board: every file-borne string escaped, Markdown rendered without raw HTML
and with links limited to harmless schemes, and the page frame with its links (live or static)."""

from __future__ import annotations

import html
import re
from typing import NamedTuple
from urllib.parse import quote

SAFE_LINK = re.compile(r"^(https?:|mailto:|#|/(?!/)|\.{0,2}/|[A-Za-z0-9_.\-][^:]*$)", re.I)


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


_MD = None


def _safe_link(url: str) -> bool:
    return bool(SAFE_LINK.match(url.strip()))


def _markdown():
    global _MD
    if _MD is None:
        from markdown_it import MarkdownIt

        md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
        # markdown-it-py already refuses javascript:, vbscript:, file: and most data: links;
        # the board allows only what a plan's link should be, so that no scheme slips past.
        md.validateLink = _safe_link  # type: ignore[method-assign]
        _MD = md
    return _MD


CHECKBOX = re.compile(r"<li>\[([ xX])\] ")


def markdown(text: str) -> str:
    """A task or handoff body as HTML: raw HTML shown as text, unsafe links left as text, and
    `- [ ]` items drawn as boxes."""
    return CHECKBOX.sub(
        lambda m: '<li class="box done">☑ ' if m.group(1) != " " else '<li class="box">☐ ',
        _markdown().render(text),
    )


def count(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def findings(problems) -> str:
    """Located findings (errors.Problem) as a list, each with its hint."""
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


class Links(NamedTuple):
    """Where the pages live: served (`/task/ID`) or exported as flat files (`task-ID.html`)."""

    static: bool = False

    def board(self, query: str = "") -> str:
        if self.static:
            return "index.html"
        return "/" + (f"?{query}" if query else "")

    def task(self, task_id: str) -> str:
        if self.static:
            return quote(task_file(task_id))
        return "/task/" + quote(task_id, safe="")

    def page(self, name: str) -> str:
        return f"{name}.html" if self.static else f"/{name}"

    def asset(self, name: str) -> str:
        return name if self.static else f"/assets/{name}"

    def file(self, path: str) -> str | None:
        """A repository file's page; exported pages carry no copies of the repository."""
        return None if self.static else "/file/" + quote(path)


def task_file(task_id: str) -> str:
    """An exported task page's file name: the id percent-encoded, so any id makes one name."""
    return "task-" + quote(task_id, safe="") + ".html"


NAV = (("board", "Board"), ("graph", "Graph"), ("parallel", "Parallel"), ("loop", "Loop"))


def layout(
    *,
    title: str,
    plan_title: str,
    active: str,
    body: str,
    links: Links,
    live: str = "plan",
    token: str = "",
) -> str:
    """One page: `live` names the changes that refresh it ("plan", "runs"); `token` is the
    per-run secret that actions carry (only with --actions)."""
    nav = []
    for name, label in NAV:
        href = links.board() if name == "board" else links.page(name)
        current = ' aria-current="page"' if name == active else ""
        nav.append(f'<a href="{esc(href)}"{current}>{label}</a>')
    meta = f'<meta name="agentmd-token" content="{esc(token)}">' if token else ""
    script = "" if links.static else f'<script src="{links.asset("board.js")}" defer></script>'
    state = "static" if links.static else "connecting"
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)} · agentmd board</title>"
        f'<link rel="icon" href="data:,">'
        f'<link rel="stylesheet" href="{links.asset("board.css")}">{meta}{script}</head>'
        f'<body data-live="{esc(live)}">'
        '<header class="top"><a class="brand" href="'
        + esc(links.board())
        + '">agentmd <b>board</b></a>'
        f'<span class="plan-title">{esc(plan_title)}</span>'
        f"<nav>{''.join(nav)}</nav>"
        f'<span id="live" class="live {state}" title="live updates">{state}</span></header>'
        f'<main id="main">{body}</main>'
        '<div id="toast" role="status" hidden></div>'
        "</body></html>\n"
    )
