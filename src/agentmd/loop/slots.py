"""Each worker its own environment: a slot number and a block of ports per slot (plan.md
`ports: 8100+10` gives slot 0 ports 8100-8109, slot 1 8110-8119, ...), in the worker's
environment and in the verify commands the loop runs, so that two workers' dev servers and test
databases do not collide. The loop verifies one task at a time, in the slot after the workers'."""

from __future__ import annotations

import re
from collections.abc import Iterable

from agentmd.errors import AgentmdError
from agentmd.workspace.folder import Workspace

PORTS_RE = re.compile(r"\s*(\d+)\s*\+\s*(\d+)\s*\Z")


def port_block(ws: Workspace) -> tuple[int, int] | None:
    """(first port, ports per slot) from plan.md's `ports`, or None when it is not set."""
    value = ws.settings.raw.get("ports")
    if value is None or value == "":
        return None
    match = PORTS_RE.match(str(value))
    if not match or int(match.group(2)) < 1 or int(match.group(1)) > 65535:
        raise AgentmdError(
            f"plan.md setting ports: '{value}' is not FIRST+PER_SLOT",
            "e.g. ports: 8100+10 (slot 0 gets 8100-8109, slot 1 8110-8119, ...)",
        )
    return int(match.group(1)), int(match.group(2))


def free(used: Iterable[int]) -> int:
    """The lowest slot number not in use."""
    taken = set(used)
    slot = 0
    while slot in taken:
        slot += 1
    return slot


def env_for(ws: Workspace, slot: int) -> dict[str, str]:
    env = {"AGENTMD_SLOT": str(slot)}
    block = port_block(ws)
    if block is not None:
        first, size = block
        port = first + slot * size
        env["AGENTMD_PORT"] = str(port)
        env["AGENTMD_PORTS"] = f"{port}-{port + size - 1}"
    return env
