"""`agentmd setup HOST`: the files a host reads, with agentmd's entries added or taken out.

Each host's hooks go into its own settings file (Claude Code `.claude/settings.json`, Codex
`.codex/hooks.json`, Gemini CLI `.gemini/settings.json`), merged by hosts.jsonedit so that the
user's bytes stay; every host also gets the workflow block in AGENTS.md; `mcp` registers
`agentmd mcp` in the host's MCP config. Setup computes the changes first (a dry run prints
them as a diff) and writes each file atomically.
"""

from __future__ import annotations

from pathlib import Path

from agentmd.errors import AgentmdError
from agentmd.files import textfile
from agentmd.hosts import agents_block, jsonedit
from agentmd.hosts.claude_plugin import plugin_changes
from agentmd.hosts.host_table import (
    HOSTS,
    TOML_BLOCK,
    Change,
    Host,
    group,
    has_command,
    hook_command,
    is_ours,
    read,
)


def hooks_change(root: Path, host: Host, remove: bool) -> Change | None:
    if host.settings is None:
        return None
    before = read(root, host.settings)
    text = before if before is not None else "{}\n"
    if remove:
        for event in host.events:
            text = jsonedit.remove(text, host.settings, ("hooks", event.host_event), is_ours)
    else:
        _, value = jsonedit.load(text, host.settings)
        hooks = value.get("hooks") if isinstance(value.get("hooks"), dict) else {}
        for event in host.events:
            if not has_command(hooks.get(event.host_event), hook_command(host.name, event.ours)):
                text = jsonedit.add(
                    text, host.settings, ("hooks", event.host_event), group(host, event)
                )
    return Change(host.settings, before, _unless_empty(text, before))


def _unless_empty(text: str, before: str | None) -> str | None:
    """A settings file left as an empty object goes, unless it was one before agentmd came."""
    if text.strip() != "{}":
        return text
    return before if before is not None and before.strip() == "{}" else None


def mcp_change(root: Path, host: Host, remove: bool, pending: dict[str, Change]) -> Change | None:
    if host.mcp is None:
        return None
    kind, rel = host.mcp
    earlier = pending.get(rel)
    before = earlier.before if earlier else read(root, rel)
    current = earlier.after if earlier else before
    if kind == "toml":
        text = current or ""
        if remove:
            for block in ("\n" + TOML_BLOCK, TOML_BLOCK):
                if block in text:
                    text = text.replace(block, "", 1)
                    break
            return Change(rel, before, text or None)
        if "[mcp_servers.agentmd]" in text:
            return Change(rel, before, current)
        return Change(rel, before, text + ("\n" if text else "") + TOML_BLOCK)
    text = current if current is not None else "{}\n"
    if remove:
        text = jsonedit.remove(text, rel, ("mcpServers",), lambda key, _v: key == "agentmd")
    else:
        _, value = jsonedit.load(text, rel)
        servers = value.get("mcpServers")
        if not (isinstance(servers, dict) and "agentmd" in servers):
            server = {"command": "agentmd", "args": ["mcp"]}
            text = jsonedit.add(text, rel, ("mcpServers",), server, key="agentmd")
    return Change(rel, before, _unless_empty(text, before))


def agents_md_change(root: Path, remove: bool) -> Change:
    before = read(root, "AGENTS.md")
    if remove:
        return Change("AGENTS.md", before, agents_block.removed(before) if before else None)
    return Change("AGENTS.md", before, agents_block.written(before))


def plan_changes(
    root: Path, host_name: str, *, remove: bool = False, mcp: bool = False, plugin: bool = False
) -> list[Change]:
    host = HOSTS.get(host_name)
    if host is None:
        raise AgentmdError(f"unknown host '{host_name}'", "one of: " + ", ".join(HOSTS))
    changes: dict[str, Change] = {}
    # The plugin carries the same hooks: the settings' copies go, or both would run.
    hooks = hooks_change(root, host, remove or plugin)
    # The block serves every host: it stays while another host is still set up.
    block = None if remove and still_set_up(root, host.name) else agents_md_change(root, remove)
    for change in (hooks, block):
        if change is not None:
            changes[change.rel] = change
    if mcp or remove:
        change = mcp_change(root, host, remove, changes)
        if change is not None:
            changes[change.rel] = change
    if plugin or (remove and host.name == "claude"):
        for change in plugin_changes(root, host, remove):
            changes[change.rel] = change
    return [change for change in changes.values() if change.changed]


def still_set_up(root: Path, leaving: str) -> list[str]:
    """The other hosts whose agentmd hooks (or the Claude Code plugin) are in this repository."""
    found = []
    for host in HOSTS.values():
        if host.name == leaving or host.settings is None:
            continue
        text = read(root, host.settings) if (root / host.settings).is_file() else None
        plugin = host.name == "claude" and (root / ".claude/agentmd-plugin").is_dir()
        if plugin or (text is not None and hook_command(host.name, "") in text):
            found.append(host.title)
    return found


def apply(root: Path, changes: list[Change]) -> None:
    for change in changes:
        path = root / change.rel
        if change.after is None:
            path.unlink(missing_ok=True)
            _prune_empty(root, path.parent)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            textfile.atomic_write(path, change.after)


def _prune_empty(root: Path, folder: Path) -> None:
    """Folders agentmd's files leave empty (.claude/, the plugin's) go with them."""
    while folder != root and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent


def diff(changes: list[Change]) -> str:
    import difflib

    out: list[str] = []
    for change in changes:
        out += difflib.unified_diff(
            (change.before or "").splitlines(keepends=True),
            (change.after or "").splitlines(keepends=True),
            f"a/{change.rel}" if change.before is not None else "/dev/null",
            f"b/{change.rel}" if change.after is not None else "/dev/null",
        )
    return "".join(line if line.endswith("\n") else line + "\n" for line in out)
