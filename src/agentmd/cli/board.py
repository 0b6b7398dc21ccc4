"""`agentmd board`: serve the live board on loopback, or write it as static pages."""

from __future__ import annotations

import webbrowser
from pathlib import Path

import click

from agentmd.cli.common import open_workspace, report_unreadable
from agentmd.errors import AgentmdError

LOOPBACK = ("127.0.0.1", "localhost", "::1")


@click.command()
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=0,
    metavar="PORT",
    help="Port to listen on (default: a free one).",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    metavar="ADDRESS",
    help="Address to listen on; anything but loopback shows the plan to the network (warned).",
)
@click.option("--open", "open_browser", is_flag=True, help="Open the board in a browser.")
@click.option(
    "--actions",
    is_flag=True,
    help="Offer release, reopen and mark-reviewed buttons (POSTs carrying this run's token).",
)
@click.option(
    "--export",
    "export_dir",
    type=click.Path(file_okay=False, path_type=Path),
    metavar="DIR",
    help="Write the pages as static files into DIR and exit (for CI artifacts).",
)
def board(port: int, host: str, open_browser: bool, actions: bool, export_dir: Path | None) -> int:
    """A live web page of the plan and the loop: columns by status, each task's prompt and
    handoffs, the dependency graph, the parallel picture and the loop's slots.

    Read-only unless --actions. Needs the extra: pip install 'agentmd-cli[board]'.
    """
    try:
        import werkzeug  # noqa: F401
    except ImportError:
        raise AgentmdError(
            "agentmd board needs Werkzeug, which is not installed",
            "pip install 'agentmd-cli[board]'",
        ) from None
    ws = open_workspace()
    report_unreadable(ws)
    if export_dir is not None:
        from agentmd.board.export import export

        count = export(ws, export_dir)
        click.echo(f"wrote {count} files to {export_dir}")
        return 0
    from agentmd.board.server import Served

    if host not in LOOPBACK:
        click.echo(
            f"warning: listening on {host}: anyone who can reach this address sees the plan"
            + (" and can use the actions that need the token printed below" if actions else ""),
            err=True,
        )
    try:
        served = Served(ws, host, port, actions)
    except OSError as exc:
        raise AgentmdError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}",
            "choose another --port, or leave it out for a free one",
        ) from None
    mode = "actions on" if actions else "read-only"
    click.echo(f"agentmd board: {served.url} ({mode}; Ctrl-C stops it)")
    if actions and host not in LOOPBACK:
        click.echo(f"token for actions: {served.app.token}")
    if open_browser:
        webbrowser.open(served.url)
    try:
        served.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0
