"""The Claude Code plugin `agentmd setup claude --plugin` writes to .claude/agentmd-plugin/:
its manifest (and a one-plugin marketplace, so it installs from the repository), the session
hooks, a skill that teaches the workflow in under 500 tokens, and slash commands."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from agentmd import __version__
from agentmd.errors import AgentmdError
from agentmd.hosts.host_table import Change, Host, group, read

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
        before = read(root, full)
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
