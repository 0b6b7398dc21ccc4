"""Who claims when nobody is named: light enough for entry.py's remembered runs to ask."""

from __future__ import annotations

import os


def default_owner() -> str:
    """$AGENTMD_AGENT, else user@host."""
    import getpass

    # The host's name as socket.gethostname() gives it, without importing socket (most of a MB).
    return os.environ.get("AGENTMD_AGENT") or f"{getpass.getuser()}@{os.uname().nodename}"
