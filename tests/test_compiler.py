"""prompt/compiler.py on its own: the parts a prompt is made of, each measured, and what is
left out, in the documented order, when the prompt is over its budget."""

from __future__ import annotations

import pytest

from agentmd.prompt import compiler
from agentmd.prompt.tokens import ESTIMATE
from agentmd.workspace.folder import Workspace


def _tokenizer(example):
    ws = Workspace(example)
    return ws, ws.task("tokenizer")


def test_every_part_is_gathered_in_order_and_the_required_ones_are_marked(example):
    ws, task = _tokenizer(example)
    items = compiler.gather(ws, task)
    assert [item.part for item in items] == [
        "header", "plan", "constraints", "task", "dependencies", "dependencies", "waiting",
        "waiting", "rules", "rules", "rules", "memory", "memory", "memory", "finish",
    ]  # fmt: skip
    optional = [item.name for item in items if not item.required]
    assert optional == [
        "plan constraints",
        "handoff of package-skeleton",
        "waiting task counter",
        "rule rules/tests.md",
        "gotcha memory/gotchas/casefold-not-lower.md",
        "decision memory/decisions/stdlib-only.md",
    ]


def test_within_budget_nothing_is_dropped_and_each_part_is_counted(example):
    ws, task = _tokenizer(example)
    result = compiler.compile_prompt(ws, task)
    assert result.dropped == []
    assert [name for name, _ in result.parts] == [
        "header", "plan", "constraints", "task", "dependencies", "waiting", "rules", "memory",
        "finish",
    ]  # fmt: skip
    assert result.tokens == ESTIMATE.count(result.prompt) <= result.budget
    assert "Left out to fit" not in result.prompt
    assert result.prompt.startswith("# Split text into words\n")


def test_over_budget_memory_goes_first_and_the_footer_names_what_was_left_out(example):
    ws, task = _tokenizer(example)
    full = compiler.compile_prompt(ws, task)
    one_less = compiler.compile_prompt(ws, task, full.tokens - 1)
    assert [item.name for item in one_less.dropped] == ["decision memory/decisions/stdlib-only.md"]
    assert one_less.tokens <= full.tokens - 1
    budget = f"{full.tokens - 1:,}"
    assert (
        f"Left out to fit the {budget}-token budget: decision memory/decisions/stdlib-only.md"
        in one_less.prompt
    )
    tighter = compiler.compile_prompt(ws, task, full.tokens - 100)
    assert [item.part for item in tighter.dropped] == ["memory", "memory"]


def test_a_task_whose_required_parts_cannot_fit_is_too_large_to_delegate(example):
    ws, task = _tokenizer(example)
    with pytest.raises(compiler.TooLarge) as raised:
        compiler.compile_prompt(ws, task, 700)
    assert raised.value.message == (
        "task 'tokenizer' is too large to delegate: its prompt needs about 1,169 tokens even with "
        "everything optional left out, and the budget is 700"
    )
    assert raised.value.hint.startswith("decompose it: split .agents/tasks/tokenizer.md into")


def test_the_same_files_give_the_same_bytes(example):
    ws, task = _tokenizer(example)
    first = compiler.compile_prompt(ws, task).prompt
    assert compiler.compile_prompt(Workspace(example), task).prompt == first


def test_a_prompt_for_reading_says_where_its_task_stands(example):
    # (the board's page of a done task said it was "not claimed yet")
    ws = Workspace.find(example)
    todo = compiler.compile_prompt(ws, ws.task("tokenizer")).prompt
    assert "This prompt is for reading: task `tokenizer` is not claimed yet." in todo
    done = compiler.compile_prompt(ws, ws.task("package-skeleton")).prompt
    assert "This prompt is for reading: task `package-skeleton` is done." in done
    assert "not claimed yet" not in done


def test_an_always_rule_the_roots_agents_md_holds_is_not_repeated_but_named(example):
    # (a project's own AGENTS.md, imported by `rules import`, reached the session twice: the
    # host loads it, and the prompt repeated every always-rule; 13,550 tokens for a small task)
    ws = Workspace.find(example)
    before = compiler.compile_prompt(ws, ws.task("tokenizer")).prompt
    body = "- Type hints on every public function; docstrings say why, not what."
    assert body in before
    (example / "AGENTS.md").write_text(
        "# Project\n\n## Python style\n\n- Type hints on every public function;\n  docstrings "
        "say why, not what.\n- No new runtime dependencies without a decision under "
        "`.agents/memory/decisions/`.\n- Run `python -m pytest -q` before you write the handoff.\n"
    )
    ws = Workspace.find(example)
    after = compiler.compile_prompt(ws, ws.task("tokenizer")).prompt
    assert body not in after
    assert (
        "The rules that always apply (Python style) are in `AGENTS.md`, which your agent host "
        "loads: they are not repeated here." in after
    )
    assert "One test file per module" in after  # a scoped rule is the prompt's to give
    (example / "AGENTS.md").write_text("# Project\n\nSomething else.\n")  # not word for word
    ws = Workspace.find(example)
    assert body in compiler.compile_prompt(ws, ws.task("tokenizer")).prompt
