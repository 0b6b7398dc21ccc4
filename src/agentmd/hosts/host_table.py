"""The hosts `agentmd setup` knows: each one's settings file and hook events, and what a change
to one file is."""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

from agentmd.files import textfile


class Event(NamedTuple):
    host_event: str  # the host's name for the moment
    ours: str  # `agentmd hook HOST <ours>`
    matcher: str | None


class Host(NamedTuple):
    name: str
    title: str
    settings: str | None  # where its hooks go, relative to the repository root
    events: tuple[Event, ...]
    mcp: tuple[str, str] | None  # ("json" | "toml", path)


HOSTS = {
    "claude": Host(
        "claude", "Claude Code", ".claude/settings.json",
        (
            Event("SessionStart", "session-start", "startup|resume|clear|compact"),
            Event("PreCompact", "pre-compact", None),
            Event("Stop", "stop", None),
        ),
        ("json", ".mcp.json"),
    ),
    "codex": Host(
        "codex", "Codex CLI", ".codex/hooks.json",
        (
            Event("SessionStart", "session-start", "startup|resume|clear|compact"),
            Event("PreCompact", "pre-compact", None),
            Event("Stop", "stop", None),
        ),
        ("toml", ".codex/config.toml"),
    ),
    "gemini": Host(
        "gemini", "Gemini CLI", ".gemini/settings.json",
        (
            Event("SessionStart", "session-start", None),
            Event("PreCompress", "pre-compress", None),
            Event("AfterAgent", "after-agent", None),
        ),
        ("json", ".gemini/settings.json"),
    ),
    "cursor": Host("cursor", "Cursor", None, (), None),
    "copilot": Host("copilot", "GitHub Copilot", None, (), None),
    "aider": Host("aider", "Aider", None, (), None),
}  # fmt: skip
HOOK_PREFIX = "agentmd hook "
TOML_BLOCK = '[mcp_servers.agentmd]\ncommand = "agentmd"\nargs = ["mcp"]\n'


class Change(NamedTuple):
    rel: str  # relative to the repository root
    before: str | None  # None: the file is not there
    after: str | None  # None: the file goes

    @property
    def changed(self) -> bool:
        return self.before != self.after


def hook_command(host: str, event: str) -> str:
    return f"{HOOK_PREFIX}{host} {event}"


def group(host: Host, event: Event) -> dict[str, Any]:
    hook: dict[str, Any] = {"type": "command", "command": hook_command(host.name, event.ours)}
    if host.name == "gemini":
        hook["name"] = f"agentmd-{event.ours}"
    entry: dict[str, Any] = {"matcher": event.matcher} if event.matcher else {}
    entry["hooks"] = [hook]
    return entry


def is_ours(_key: str, value: Any) -> bool:
    """A hook group agentmd wrote: every command in it is `agentmd hook ...`."""
    hooks = value.get("hooks") if isinstance(value, dict) else None
    return (
        isinstance(hooks, list)
        and bool(hooks)
        and all(
            isinstance(h, dict) and str(h.get("command", "")).startswith(HOOK_PREFIX) for h in hooks
        )
    )


def has_command(value: Any, command: str) -> bool:
    return isinstance(value, list) and any(
        isinstance(g, dict)
        and any(isinstance(h, dict) and h.get("command") == command for h in g.get("hooks", []))
        for g in value
    )


def read(root: Path, rel: str) -> str | None:
    path = root / rel
    if not path.exists():
        return None
    return textfile.read_text(path, rel)
