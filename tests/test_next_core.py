"""prompt/next.py, the core of `agentmd next`: pick, compile before claiming, claim, remember."""

from __future__ import annotations

import os
import time

import pytest

from agentmd.errors import NothingToDo
from agentmd.prompt import next as core
from agentmd.prompt.compiler import TooLarge
from agentmd.workspace import memo
from agentmd.workspace.folder import Workspace
from conftest import cli


def _aged(root, seconds=100):
    """Every file out of the racy window, so that a remembered output is trusted."""
    stamp = time.time_ns() - seconds * 1_000_000_000
    for path in (root / ".agents").rglob("*.md"):
        os.utime(path, ns=(stamp, stamp))


def test_one_compiles_the_first_ready_task_and_claims_nothing(example):
    found = core.one(Workspace(example), core.Ask())
    assert found.compiled.task.id == "tokenizer"
    assert found.compiled.prompt.startswith("# Split text into words\n")
    assert found.notes == [] and found.comparison is None
    text = (example / ".agents/tasks/tokenizer.md").read_text()
    assert "status: todo\n" in text and "claimed_by" not in text


def test_one_with_claim_claims_the_task_it_compiled(example, monkeypatch):
    monkeypatch.setenv("AGENTMD_NOW", "2026-11-22T10:00:00Z")
    found = core.one(Workspace(example), core.Ask(claim=True, owner="bob"))
    assert found.compiled.task.id == "tokenizer"
    text = (example / ".agents/tasks/tokenizer.md").read_text()
    assert "status: active\n" in text and "claimed_by: bob\n" in text


def test_a_task_too_large_to_delegate_is_never_claimed(example):
    ws = Workspace(example)
    with pytest.raises(TooLarge) as raised:
        core.one(ws, core.Ask(budget=50, claim=True, owner="bob"))
    assert "tokenizer" in raised.value.message
    text = (example / ".agents/tasks/tokenizer.md").read_text()
    assert "status: todo\n" in text and "claimed_by" not in text


def test_nothing_ready_counts_the_statuses_and_points_at_explain(example):
    cli(example, "claim", "tokenizer", "--as", "ann")
    with pytest.raises(NothingToDo) as raised:
        core.one(Workspace(example), core.Ask())
    assert raised.value.message == (
        "nothing is ready (1 active, 1 done, 4 todo); "
        "4 todo blocked ('agentmd next --explain' says why)"
    )


def test_a_batch_holds_back_a_task_too_large_instead_of_claiming_it(example):
    ws = Workspace(example)
    assert [c.task.id for c in core.batch(ws, core.Ask(limit=3))] == ["tokenizer"]
    with pytest.raises(NothingToDo):
        core.batch(ws, core.Ask(limit=3, budget=50, claim=True, owner="bob"))
    assert "claimed_by" not in (example / ".agents/tasks/tokenizer.md").read_text()


def test_only_a_run_that_changes_nothing_and_counts_offline_is_remembered(example):
    ws = Workspace(example)
    assert core.Ask().memo_key(ws, False) == '["next",null,false]'
    assert core.Ask(limit=2).memo_key(ws, True, False).startswith('["next --parallel",2,null,')
    assert core.Ask(claim=True).memo_key(ws, False) is None
    assert core.Ask(counter="exact").memo_key(ws, False) is None


def test_a_remembered_prompt_is_printed_again_but_never_for_explain(example):
    _aged(example)
    first = cli(example, "next")
    assert first.exit_code == 0 and first.stdout.startswith("# Split text into words\n")
    ws = Workspace(example)
    assert memo.path_of(ws, core.Ask().memo_key(ws, False, False) or "").is_file()
    again = cli(example, "next")
    assert again.stdout == first.stdout
    explained = cli(example, "next", "--explain")
    assert explained.exit_code == 0
    assert explained.stdout.startswith("ready (1), in the order `next` takes them:\n")
    assert "# Split text into words" not in explained.stdout
