"""`agentmd mcp`: agentmd as a few MCP tools over stdio, on the official `mcp` SDK.

Five tools whose descriptions together stay under 1,000 tokens (a test measures them). Each
returns what the matching command's `--json` prints; a user error (nothing ready, a refused
done, findings) comes back as a tool error carrying the located findings, and the server goes
on serving. The SDK is imported here only, and only `agentmd mcp` imports this module.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import StrictBool  # (the SDK's own; a tool's annotations are read from here)

from agentmd import JSON_SCHEMA
from agentmd.errors import AgentmdError, LocatedError, Problem
from agentmd.workspace.folder import Workspace

INSTRUCTIONS = (
    "agentmd keeps this repository's plan in .agents/. Call next to get a task's prompt "
    "(claim=true to take it), work on it, write the handoff, call handoff_check, then done."
)
DESCRIPTIONS = {
    "next": "The next ready task's prompt, compiled within its token budget. claim=true claims "
    "it for `owner` first.",
    "handoff_check": "Validate handoffs (complete, concrete, true to the git diff): all of "
    ".agents/handoffs/, or the paths given. Findings come back as an error.",
    "done": "Mark a task done (refused with the findings unless verify passed at HEAD and its "
    "handoff is valid), or record a failed attempt when fail_reason is given.",
    "status": "The board: counts per status, ready, active with owner, review, blocked, stale.",
    "check": "Check every file in .agents/ and the always-loaded files; findings come back as "
    "an error, located as path:line:col.",
}


def _data(data: dict[str, Any]) -> str:
    return json.dumps({"schema": JSON_SCHEMA, **data}, indent=2, ensure_ascii=False)


def _findings(problems: list[Problem]) -> str:
    return "\n".join(p.render() for p in problems)


class Tools:
    """The tools, on a workspace found from `root`; each returns JSON text or raises ToolFailed."""

    def __init__(self, root: Path):
        self.root = root

    def ws(self) -> Workspace:
        return Workspace.find(self.root)

    def next(self, claim: bool = False, owner: str | None = None) -> str:
        from agentmd.prompt import compiler
        from agentmd.tasks import claims, graph

        ws = self.ws()
        if not claim:
            ready = graph.analyse(ws.tasks).ready
            if not ready:
                raise AgentmdError("nothing is ready ('agentmd next --explain' says why)")
            return _data(compiler.compile_prompt(ws, ready[0].task).as_json())
        compiled: list[compiler.Compiled] = []

        def choose(candidates):
            if not candidates:
                return None
            compiled.append(compiler.compile_prompt(ws, candidates[0].task))
            return candidates[0].task

        task = claims.claim_next(ws, owner or claims.default_owner(), choose)
        if task is None:
            raise AgentmdError("nothing is ready ('agentmd next --explain' says why)")
        return _data(compiled[0].as_json())

    def handoff_check(self, paths: list[str] | None = None) -> str:
        from agentmd.handoffs.judge import WorkTree, check_handoff_file

        ws = self.ws()
        tree = WorkTree(ws)
        targets = list(paths or []) or [h.record.path for h in ws.handoffs]
        problems: list[Problem] = []
        for target in targets:
            problems += check_handoff_file(ws, target, tree=tree)
        tree.save()
        return self._report(problems, len(targets))

    def done(self, id: str, fail_reason: str | None = None) -> str:  # noqa: A002 - the tool's word
        from agentmd.tasks import lifecycle

        ws = self.ws()
        if fail_reason:
            task = lifecycle.fail(ws, id, fail_reason)
        else:
            try:
                task = lifecycle.done(ws, id)
            except lifecycle.DoneRefused as exc:  # (its message says "above": a terminal's)
                raise AgentmdError(
                    f"refused to mark '{id}' done: {len(exc.problems)} problem(s):\n"
                    f"{_findings(exc.problems)}",
                    exc.hint,
                ) from None
        return _data({"task": task.summary()})

    def status(self) -> str:
        from agentmd.loop import runs
        from agentmd.tasks import summary

        ws = self.ws()
        data = summary.build(ws).as_json()
        data["workers"] = runs.describe(ws)
        return _data(data)

    def check(self) -> str:
        from agentmd.checks import passes
        from agentmd.prompt.tokens import ESTIMATE

        report = passes.check_workspace(self.ws(), ESTIMATE)
        return self._report(report.problems, report.checked)

    def _report(self, problems: list[Problem], checked: int) -> str:
        from agentmd.cli.findings import order

        problems = order(problems)
        errors = sum(1 for p in problems if p.severity == "error")
        if errors:
            raise AgentmdError(
                f"{errors} error(s) in {checked} file(s) checked\n{_findings(problems)}"
            )
        return _data(
            {
                "findings": [p.as_dict() for p in problems],
                "errors": 0,
                "warnings": len(problems),
                "checked": checked,
            }
        )


def build_server(root: Path):
    """The MCP server with agentmd's tools (the SDK is imported here)."""
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.exceptions import ToolError

    from agentmd import __version__

    tools = Tools(root)
    server = MCPServer("agentmd", instructions=INSTRUCTIONS, version=__version__)

    def guarded(call):
        try:
            return call()
        except LocatedError as exc:
            raise ToolError(exc.problem.render()) from None
        except AgentmdError as exc:
            raise ToolError(exc.message + (f"\nhint: {exc.hint}" if exc.hint else "")) from None
        except OSError as exc:
            raise ToolError(f"{exc.filename or ''}: {exc.strerror or exc}") from None

    @server.tool(description=DESCRIPTIONS["next"])
    def next(claim: StrictBool = False, owner: str | None = None) -> str:  # noqa: A001
        # (strict: pydantic would take "yes" or "on" for true; a wrong type is a tool error)
        return guarded(lambda: tools.next(claim, owner))

    @server.tool(description=DESCRIPTIONS["handoff_check"])
    def handoff_check(paths: list[str] | None = None) -> str:
        return guarded(lambda: tools.handoff_check(paths))

    @server.tool(description=DESCRIPTIONS["done"])
    def done(id: str, fail_reason: str | None = None) -> str:  # noqa: A002
        return guarded(lambda: tools.done(id, fail_reason))

    @server.tool(description=DESCRIPTIONS["status"])
    def status() -> str:
        return guarded(tools.status)

    @server.tool(description=DESCRIPTIONS["check"])
    def check() -> str:
        return guarded(tools.check)

    return server


def serve(root: Path) -> None:
    build_server(root).run("stdio")
