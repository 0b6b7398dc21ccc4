"""`agentmd mcp` driven by the MCP SDK's own client over stdio, in a real server process."""

from __future__ import annotations

import json
import sys

import pytest

from agentmd.prompt.tokens import ESTIMATE

mcp = pytest.importorskip("mcp", reason="the optional MCP SDK (agentmd-cli[mcp]) is not installed")


def session_run(repo, steps):
    """Start `python -m agentmd mcp` in `repo`, connect the SDK's client, run `steps(session)`."""
    import anyio
    from mcp.client.session import ClientSession
    from mcp.client.stdio import StdioServerParameters, stdio_client

    out = {}

    async def main():
        params = StdioServerParameters(
            command=sys.executable, args=["-m", "agentmd", "mcp"], cwd=str(repo),
            env={"AGENTMD_AGENT": "mcp-agent", "HOME": str(repo.parent)},
        )  # fmt: skip
        async with stdio_client(params) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                out.update(await steps(session))

    anyio.run(main)
    return out


def schema_of(tool) -> dict:
    return tool.input_schema if hasattr(tool, "input_schema") else tool.inputSchema


def text_of(result) -> str:
    return "".join(block.text for block in result.content if getattr(block, "text", None))


def test_the_sdk_client_lists_measures_and_calls_every_tool(example):
    async def steps(session):
        listed = await session.list_tools()
        calls = {
            "status": await session.call_tool("status", {}),
            "check": await session.call_tool("check", {}),
            "next": await session.call_tool("next", {"claim": True}),
            "handoff_check": await session.call_tool("handoff_check", {}),
            "done_refused": await session.call_tool("done", {"id": "tokenizer"}),
            "bad_argument": await session.call_tool("next", {"claim": "maybe"}),
            "lax_argument": await session.call_tool("next", {"claim": "yes"}),
            "unknown_task": await session.call_tool("done", {"id": "no-such-task"}),
            "fail": await session.call_tool("done", {"id": "tokenizer", "fail_reason": "stuck"}),
            "still_alive": await session.call_tool("status", {}),
        }
        return {"tools": listed.tools, **calls}

    got = session_run(example, steps)
    tools = got["tools"]
    assert sorted(t.name for t in tools) == ["check", "done", "handoff_check", "next", "status"]
    described = "\n".join(f"{t.name}: {t.description}\n{json.dumps(schema_of(t))}" for t in tools)
    assert ESTIMATE.count(described) < 1000, ESTIMATE.count(described)

    status = json.loads(text_of(got["status"]))
    assert got["status"].is_error is False
    assert status["ready"] == ["tokenizer"] and status["schema"] == 1
    assert got["check"].is_error is False
    assert json.loads(text_of(got["check"]))["errors"] == 0
    claimed = json.loads(text_of(got["next"]))
    assert claimed["task"]["id"] == "tokenizer"
    assert claimed["prompt"].startswith("# Split text into words\n")
    assert got["handoff_check"].is_error is False
    refused = text_of(got["done_refused"])
    assert got["done_refused"].is_error is True
    assert "refused to mark 'tokenizer' done: 2 problem(s):\n" in refused
    assert "above" not in refused  # (nothing is above it in a tool's answer)
    assert ".agents/tasks/tokenizer.md:" in refused and "error handoff-missing:" in refused
    assert got["bad_argument"].is_error is True
    assert "claim" in text_of(got["bad_argument"])
    assert got["lax_argument"].is_error is True  # "yes" is no boolean
    assert "claim" in text_of(got["lax_argument"])
    assert got["unknown_task"].is_error is True
    assert "no task 'no-such-task'" in text_of(got["unknown_task"])
    failed = json.loads(text_of(got["fail"]))
    assert failed["task"]["id"] == "tokenizer" and failed["task"]["attempts"] == 1
    assert got["still_alive"].is_error is False  # the server survived every error above
    assert json.loads(text_of(got["still_alive"]))["ready"] == ["tokenizer"]


def test_check_findings_come_back_as_a_tool_error_with_the_located_finding(example):
    task = example / ".agents/tasks/tokenizer.md"
    task.write_text(task.read_text().replace("priority: high", "priority: urgent"))

    async def steps(session):
        return {"check": await session.call_tool("check", {})}

    result = session_run(example, steps)["check"]
    assert result.is_error is True
    assert text_of(result).startswith(
        "Error executing tool check: 1 error(s) in 13 file(s) checked\n"
    )
    assert (
        ".agents/tasks/tokenizer.md:4:1: error bad-priority: priority 'urgent' is not one of "
        "high, medium, low\n  hint: use one of high, medium, low"
    ) in text_of(result)
