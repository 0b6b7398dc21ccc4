"""`agentmd mcp`: the MCP server over stdio (needs the optional `mcp` package)."""

from __future__ import annotations

from pathlib import Path

import click

from agentmd.errors import AgentmdError


@click.command("mcp")
def mcp() -> int:
    """Serve agentmd's tools over MCP on stdio: next, handoff_check, done, status, check.

    A host starts it (`agentmd setup claude --mcp` registers it); it runs until stdin closes.
    Needs the optional SDK: pip install 'agentmd-cli[mcp]'.
    """
    try:
        import mcp.server.mcpserver  # noqa: F401 - only to say what is missing, before serving
    except ImportError:
        raise AgentmdError(
            "agentmd mcp needs the MCP SDK (the `mcp` package, version 2 or later)",
            "pip install 'agentmd-cli[mcp]'",
        ) from None
    from agentmd.hosts.mcp_server import serve
    from agentmd.workspace.folder import Workspace

    root = Workspace.find(Path.cwd()).root  # fail here, located, rather than on the first call
    serve(root)
    return 0
