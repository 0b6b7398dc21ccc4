"""`agentmd setup HOST`: the files a host reads, with agentmd's entries added or taken out.

Each host's hooks go into its own settings file (Claude Code `.claude/settings.json`, Codex
`.codex/hooks.json`, Gemini CLI `.gemini/settings.json`), merged by hosts.jsonedit so that the
user's bytes stay; every host also gets the workflow block in AGENTS.md; `mcp` registers
`agentmd mcp` in the host's MCP config. Setup computes the changes first (a dry run prints
them as a diff) and writes each file atomically.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, NamedTuple

from agentmd import __version__
from agentmd.errors import AgentmdError
from agentmd.files import textfile
from agentmd.hosts import agents_block, jsonedit


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
            Event("SessionStart", "session-start", "startup|resume|clear"),
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


def _read(root: Path, rel: str) -> str | None:
    path = root / rel
    if not path.exists():
        return None
    return textfile.read_text(path, rel)


def hooks_change(root: Path, host: Host, remove: bool) -> Change | None:
    if host.settings is None:
        return None
    before = _read(root, host.settings)
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
    before = earlier.before if earlier else _read(root, rel)
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
    before = _read(root, "AGENTS.md")
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
    for change in (hooks, agents_md_change(root, remove)):
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

    out = []
    for change in changes:
        out += difflib.unified_diff(
            (change.before or "").splitlines(keepends=True),
            (change.after or "").splitlines(keepends=True),
            f"a/{change.rel}" if change.before is not None else "/dev/null",
            f"b/{change.rel}" if change.after is not None else "/dev/null",
        )
    return "".join(line if line.endswith("\n") else line + "\n" for line in out)


# -- the Claude Code plugin ------------------------------------------------------------------

PLUGIN_DIR = ".claude/agentmd-plugin"
SKILL = """---
name: agentmd-workflow
description: >-
  How to work in a repository whose plan lives in .agents/ (agentmd): claim a task, stay in
  its scope, hand off, finish. Use when starting, resuming or ending work on a task here.
---

# Working with agentmd

The plan, tasks, handoffs and memory live in `.agents/` as Markdown with front matter; hand
edits are fine, and `agentmd check` finds what is wrong with a file and where.

1. **Start.** `agentmd prime` prints the task this session holds (its full prompt) or, when it
   holds none, where the work stands. Claim the next ready task with
   `agentmd next --claim --as NAME`: its prompt has the goal, the acceptance criteria, the files
   in scope (`outputs`), the verify commands, and what earlier sessions decided.
2. **Work.** Change only the files in the task's `outputs`. Run its checks with
   `agentmd verify ID` after your last commit.
3. **Hand off** before you stop or when the context runs low: `agentmd handoff new ID` drafts
   `.agents/handoffs/<date>-ID.md` from git; fill every section with concrete paths and
   commands, list exactly the files you changed under Artifacts, then `agentmd handoff check`
   until it passes.
4. **Finish.** `agentmd done ID` (refused, with the reason, until verify passed and the handoff
   is valid); if you cannot finish, `agentmd fail ID --reason "..."`.
"""
COMMANDS = {
    "next.md": (
        "Claim the next ready agentmd task and show its prompt",
        "Bash(agentmd next:*)",
        "!`agentmd next --claim`\n\nWork on the task above, within its outputs.",
    ),
    "handoff.md": (
        "Draft and check the handoff of an agentmd task",
        "Bash(agentmd handoff:*)",
        "!`agentmd handoff new $ARGUMENTS`\n\nFill every section of the handoff just created "
        "with concrete paths and commands, then run `agentmd handoff check` until it passes.",
    ),
    "done.md": (
        "Mark an agentmd task done (refused until verify passed and the handoff is valid)",
        "Bash(agentmd done:*)",
        "!`agentmd done $ARGUMENTS`\n\nIf it was refused, fix each finding above and try again.",
    ),
}


def plugin_files(host: Host) -> dict[str, str]:
    hooks = {"hooks": {e.host_event: [group(host, e)] for e in host.events}}
    manifest = {
        "name": "agentmd",
        "version": __version__,
        "description": "agentmd's session hooks, workflow skill and commands for Claude Code",
    }
    market = {
        "name": "agentmd",
        "owner": {"name": "agentmd"},
        "plugins": [{"name": "agentmd", "source": "./", "description": manifest["description"]}],
    }
    files = {
        ".claude-plugin/plugin.json": _json(manifest),
        ".claude-plugin/marketplace.json": _json(market),
        "hooks/hooks.json": _json(hooks),
        "skills/agentmd-workflow/SKILL.md": SKILL,
    }
    for name, (description, tools, body) in COMMANDS.items():
        files[f"commands/{name}"] = (
            f"---\ndescription: {description}\nallowed-tools: {tools}\n"
            + ("argument-hint: ID\n" if "$ARGUMENTS" in body else "")
            + f"---\n\n{body}\n"
        )
    return files


def plugin_changes(root: Path, host: Host, remove: bool) -> list[Change]:
    changes = []
    for rel, text in plugin_files(host).items():
        full = f"{PLUGIN_DIR}/{rel}"
        before = _read(root, full)
        if remove:
            if before is not None and before != text:
                raise AgentmdError(
                    f"{full} was edited since agentmd wrote it: not removed",
                    f"move {PLUGIN_DIR}/ aside by hand if you no longer want it",
                )
            changes.append(Change(full, before, None))
        else:
            changes.append(Change(full, before, text))
    return changes


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"
