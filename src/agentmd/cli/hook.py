"""`agentmd hook HOST EVENT`: what the hooks `agentmd setup` wrote call (plumbing, not for people).

The host's event JSON comes on stdin; the answer goes to stdout as the host documents it. An
error never blocks the host: it is one line on stderr and exit 1 (a non-blocking error).
"""

from __future__ import annotations

import json
import sys

import click

from agentmd.errors import AgentmdError

EVENTS = {
    "claude": ("session-start", "pre-compact", "stop"),
    "codex": ("session-start", "pre-compact", "stop"),
    "gemini": ("session-start", "pre-compress", "after-agent"),
}


@click.command("hook", hidden=True)
@click.argument("host", type=click.Choice(sorted(EVENTS)))
@click.argument("event")
def hook(host: str, event: str) -> int:
    """Answer one of a host's hook events (the event's JSON on stdin)."""
    from agentmd.hosts import events

    if event not in EVENTS[host]:
        raise click.UsageError(f"{host} has no event '{event}': one of {', '.join(EVENTS[host])}")
    try:
        payload = events.parse_payload(sys.stdin.read())
        if event == "session-start":
            answer = events.session_start(payload)
        elif event in ("pre-compact", "pre-compress"):
            answer = events.pre_compact(payload)
        else:
            answer = events.stop(payload, "deny" if host == "gemini" else "block")
    except AgentmdError as exc:
        click.echo(f"agentmd hook {host} {event}: {exc.message}", err=True)
        return 1
    if answer.output is not None:
        click.echo(json.dumps(answer.output, ensure_ascii=False))
    return answer.exit_code
