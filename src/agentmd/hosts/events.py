"""What agentmd does at the three moments of a host's session, as the host's hooks call it.

Each handler takes the JSON the host wrote on stdin and returns an Answer: the JSON to print
(None: print nothing) and the exit code. The moments:

- start (Claude Code and Codex SessionStart, Gemini SessionStart): `agentmd prime` as additional
  context, fitted under the host's limit instead of being cut by it;
- compaction (Claude Code and Codex PreCompact, Gemini PreCompress): draft the held task's
  handoff from git, unless this claim's handoff is on disk already; the host cannot inject
  context here, so the SessionStart that follows (source `compact`) re-injects the prompt;
- stop (Claude Code and Codex Stop, Gemini AfterAgent): when the held task changed files and has
  no valid handoff, refuse the stop once with the exact findings as the reason; never twice in a
  row (`stop_hook_active`), never when nothing is held.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, NamedTuple

from agentmd import AGENTS_DIR
from agentmd.errors import AgentmdError, LocatedError
from agentmd.hosts.session import Held, held_task
from agentmd.workspace.folder import NotAWorkspace, Workspace

# Claude Code keeps about 10,000 characters of a hook's injected context and moves the rest to
# a file behind a preview; prime fits under this instead (see docs/integrations.md).
CONTEXT_CHARS = 9_500
STOPS_FILE = "stop-hook.json"  # under .agents/.cache/: what each session was last refused for


class Answer(NamedTuple):
    output: dict[str, Any] | None
    exit_code: int = 0


NOTHING = Answer(None, 0)


def workspace_of(payload: dict[str, Any]) -> Workspace | None:
    cwd = payload.get("cwd") or os.getcwd()
    try:
        return Workspace.find(Path(str(cwd)))
    except NotAWorkspace:
        return None  # a project that does not use agentmd: the hook has nothing to say


def session_start(payload: dict[str, Any], event: str = "SessionStart") -> Answer:
    from agentmd.hosts.prime import remembered

    ws = workspace_of(payload)
    if ws is None:
        return NOTHING
    try:
        text = remembered(ws, None, CONTEXT_CHARS)
    except AgentmdError as exc:  # e.g. the held task's file no longer parses: say so, in context
        found = exc.problem.render() if isinstance(exc, LocatedError) else exc.message
        text = (
            f"agentmd: this session's start could not be prepared:\n{found}\n"
            "Fix that first (`agentmd check` lists every problem), then run `agentmd prime`.\n"
        )
    return Answer({"hookSpecificOutput": {"hookEventName": event, "additionalContext": text}})


def pre_compact(payload: dict[str, Any]) -> Answer:
    ws = workspace_of(payload)
    held = held_task(ws) if ws is not None else None
    if ws is None or held is None or held.task.status != "active":
        return NOTHING
    own = own_handoff(ws, held)
    if own is not None:
        message = f"agentmd: {own} holds this session's handoff; left as it is"
    else:
        from agentmd.handoffs.draft import new_handoff

        draft = new_handoff(ws, held.task.id)
        message = (
            f"agentmd: drafted {ws.display(draft.rel)} from git before compaction "
            f"({len(draft.artifacts)} artifact(s)); fill it before you stop"
        )
    return Answer({"systemMessage": message})


def stop(payload: dict[str, Any], decision: str = "block") -> Answer:
    """`decision` is the host's word for refusing: Claude Code and Codex "block", Gemini "deny"."""
    if payload.get("stop_hook_active") is True:
        return NOTHING  # refused once already: the agent has been told; never loop
    ws = workspace_of(payload)
    held = held_task(ws) if ws is not None else None
    if ws is None or held is None or held.task.status != "active":
        return NOTHING
    reason = unrecorded(ws, held)
    if reason is None or not _first_time(ws, str(payload.get("session_id") or ""), reason):
        return NOTHING
    return Answer({"decision": decision, "reason": reason})


def _first_time(ws: Workspace, session: str, reason: str) -> bool:
    """Whether this session has not been refused for this same state of the work before.
    A host's stop fires at the end of every turn: an agent told once, and that did nothing
    about it, is not told again until the work or the handoff changes."""
    import hashlib

    from agentmd.files import cachefile

    if not session:
        return True
    path = ws.agents / ".cache" / STOPS_FILE
    seen = cachefile.read(path)
    digest = hashlib.sha256(reason.encode("utf-8", "surrogateescape")).hexdigest()[:16]
    if seen.get(session) == digest:
        return False
    seen.pop(session, None)
    seen[session] = digest
    while len(seen) > 32:
        seen.pop(next(iter(seen)))
    cachefile.write(path, seen)
    return True


def unrecorded(ws: Workspace, held: Held) -> str | None:
    """Why the held task's work is not recorded yet (its changed files, its handoff's findings),
    or None when it is (or nothing changed)."""
    from agentmd import git
    from agentmd.handoffs.judge import WorkTree, task_handoff_problems

    task = held.task
    base = task.base or git.head(ws.root) or ""
    changes = WorkTree(ws).changes(base) if base else None
    if changes is None:
        return None
    changed = sorted(p for p in changes.files if not p.startswith(AGENTS_DIR + "/"))
    if not changed:
        return None
    problems = [p for p in task_handoff_problems(ws, task) if p.severity == "error"]
    if not problems:
        return None
    shown = ", ".join(changed[:8]) + (f" and {len(changed) - 8} more" if len(changed) > 8 else "")
    findings = "\n".join(p.render() for p in problems)
    return (
        f"agentmd: task `{task.id}` changed {len(changed)} file(s) since {base[:12]} ({shown}) "
        "and has no valid handoff. Before you stop: write it (`agentmd handoff new "
        f"{task.id}` if there is none), fill every section, and run `agentmd handoff check` "
        f"until it passes.\n{findings}"
    )


def own_handoff(ws: Workspace, held: Held) -> str | None:
    """The held claim's handoff, when one was written since the task was claimed."""
    from agentmd.clock import parse_stamp

    latest = ws.latest_handoffs.get(held.task.id)
    if latest is None:
        return None
    claimed = parse_stamp(held.task.claimed_at) if held.task.claimed_at else None
    try:
        written = (ws.agents / latest.path).stat().st_mtime
    except OSError:
        return None
    if claimed is not None and written < claimed.timestamp() - 1:
        return None  # an earlier attempt's handoff: this session has not written its own
    return ws.display(latest.path)


def parse_payload(raw: str) -> dict[str, Any]:
    import json

    try:
        data = json.loads(raw) if raw.strip() else {}
    except json.JSONDecodeError as exc:
        raise AgentmdError(
            f"the hook's input is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
            "the host writes the event as JSON on stdin",
        ) from None
    if not isinstance(data, dict):
        raise AgentmdError("the hook's input is not a JSON object")
    return data
