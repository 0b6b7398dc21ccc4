"""The prompt for each mode it is read in (plain `next`, a claimed task, a worker of the loop,
a retry), pinned byte for byte in tests/golden/; one set of finishing steps in each."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from agentmd.prompt import compiler
from agentmd.workspace.folder import Workspace
from conftest import cli, git

GOLDEN = Path(__file__).parent / "golden"


def prompt_for(repo: Path, mode: str) -> str:
    if mode == "plain":
        return cli(repo, "next").stdout
    if mode == "claimed":
        result = cli(repo, "next", "--claim")
        assert result.exit_code == 0, result.output
        return result.stdout
    if mode == "retry":
        assert cli(repo, "claim", "tokenizer").exit_code == 0
        failed = cli(repo, "fail", "tokenizer", "--reason", "`words('')` returned [''], not []")
        assert failed.exit_code == 0, failed.output
        assert cli(repo, "claim", "tokenizer").exit_code == 0
    ws = Workspace.find(repo)
    return compiler.compile_prompt(ws, ws.task("tokenizer"), mode="loop" if mode == "loop"
                                   else None).prompt  # fmt: skip


@pytest.mark.parametrize("mode", ["plain", "claimed", "loop", "retry"])
def test_each_mode_matches_its_golden_file_byte_for_byte(example, monkeypatch, mode):
    monkeypatch.setenv("AGENTMD_NOW", "2026-11-21T08:00:00Z")
    monkeypatch.setenv("AGENTMD_AGENT", "tester")
    prompt = prompt_for(example, mode)
    name = "example-next.md" if mode == "plain" else f"example-next-{mode}.md"
    if os.environ.get("AGENTMD_WRITE_GOLDEN"):  # to regenerate after a deliberate change
        (GOLDEN / name).write_text(prompt)
    assert prompt == (GOLDEN / name).read_text()


@pytest.mark.parametrize("mode", ["plain", "claimed", "loop", "retry"])
def test_each_mode_has_one_set_of_finishing_steps(example, monkeypatch, mode):
    monkeypatch.setenv("AGENTMD_NOW", "2026-11-21T08:00:00Z")
    prompt = prompt_for(example, mode)
    finish = prompt[prompt.index("## When you finish\n") :]
    assert finish.count("\n1. ") == 1
    if mode == "loop":
        assert "agentmd done" not in finish
        assert "marks the task done" in finish
    else:
        assert "`agentmd done tokenizer`" in finish
    assert ("`agentmd claim tokenizer`" in finish) == (mode == "plain")
    assert ("Earlier attempts" in finish) == (mode == "retry")
    assert "set `status: done`" in finish
    assert prompt.count("Split text into words") == 1  # the title once, as the first line


def test_the_repositorys_own_agent_files_are_named_as_loaded_by_the_host(example):
    (example / "AGENTS.md").write_text("# Rules\n\nRun `make test`.\n")
    prompt = cli(example, "next").stdout
    assert (
        "The repository's own `AGENTS.md` is not repeated here: your agent host loads them; "
        "if yours does not, read them first."
    ) in prompt
    (example / "CLAUDE.md").write_text("@AGENTS.md\n")
    assert "own `AGENTS.md` and `CLAUDE.md` are not repeated" in cli(example, "next").stdout


def test_the_plan_templates_placeholder_is_left_out_with_a_warning(repo):
    assert cli(repo, "init").exit_code == 0
    added = cli(repo, "add", "Write the parser", "--output", "src/parse.py")
    assert added.exit_code == 0, added.output
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "plan")
    result = cli(repo, "next")
    assert result.exit_code == 0, result.output
    assert "What this project is for" not in result.stdout
    assert "What must not change" not in result.stdout
    assert "## Project: repo\n\n## Your task\n" in result.stdout
    assert (
        ".agents/plan.md:11:1: warning plan-unfilled: section 'Goal' still holds the template's "
        "text: left out of the prompt\n"
    ) in result.stderr
