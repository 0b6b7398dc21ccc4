"""`agentmd prime`: the held task's prompt (found three ways) or the orientation, always within
its budget, what does not fit named rather than cut."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from agentmd.prompt.tokens import ESTIMATE
from conftest import cli, git

BENCH = Path(__file__).resolve().parent.parent / "bench"


def test_a_session_holding_nothing_gets_the_orientation(example):
    result = cli(example, "prime", env={"AGENTMD_AGENT": "bob"})
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "# tally, a word-frequency command-line tool: where the work stands (agentmd)\n\n"
        "Goal: `tally` reads text from files or standard input and prints the most frequent "
        "words, so that writers can spot overused words. It is a small, dependency-free Python "
        "package with a CLI: `tally --top 10 chapter1.txt`.\n\n"
        "This session holds no task. Claim one before you change files.\n\n"
        "## Ready (1), in the order `agentmd next` takes them\n\n"
        "- `tokenizer` (high): Split text into words\n\n"
        "## How to work here\n\n"
        "- Claim the next task and read its prompt: `agentmd next --claim --as NAME`\n"
        "- Hand off before you stop: `agentmd handoff new ID`, fill it, `agentmd handoff check`\n"
        '- Finish: `agentmd done ID` (or `agentmd fail ID --reason "..."`)\n'
    )


def test_a_claimed_task_is_found_by_owner_by_agentmd_task_and_by_its_worktree(example):
    assert cli(example, "next", "--claim", "--as", "alice").exit_code == 0
    by_owner = cli(example, "prime", "--json", env={"AGENTMD_AGENT": "alice"})
    data = json.loads(by_owner.stdout)
    assert (data["kind"], data["task"], data["found_by"]) == ("task", "tokenizer",
                                                              "claimed by alice")  # fmt: skip
    assert data["tokens"] <= data["budget"] == 120_000
    next_prompt = cli(example, "next", "--json", env={"AGENTMD_AGENT": "x"})
    assert next_prompt.exit_code == 1  # nothing else ready; the prompt is the compiler's own
    assert "# Split text into words\n" in data["text"]
    env = {"AGENTMD_TASK": "tokenizer", "AGENTMD_AGENT": "bob"}
    named = json.loads(cli(example, "prime", "--json", env=env).stdout)
    assert (named["task"], named["found_by"]) == ("tokenizer", "AGENTMD_TASK")
    tree = Path(cli(example, "worktree", "tokenizer").stdout.strip())
    in_tree = json.loads(cli(tree, "prime", "--json", env={"AGENTMD_AGENT": "bob"}).stdout)
    assert in_tree["task"] == "tokenizer"
    assert in_tree["found_by"] == "worktree branch agentmd/tokenizer"


def test_a_resuming_session_gets_the_latest_handoff_after_the_prompt(example):
    assert cli(example, "next", "--claim", "--as", "alice").exit_code == 0
    assert cli(example, "handoff", "new", "tokenizer").exit_code == 0
    (handoff,) = (example / ".agents/handoffs").glob("*-tokenizer.md")
    text = cli(example, "prime", env={"AGENTMD_AGENT": "alice"}).stdout
    prompt, stopped = text.split(
        f"## Where the last session stopped (.agents/handoffs/{handoff.name})"
    )
    assert "## When you finish" in prompt
    assert "## Summary" in stopped


def test_under_a_hosts_limit_parts_are_left_out_whole_and_named(example):
    assert cli(example, "next", "--claim", "--as", "alice").exit_code == 0
    alice = {"AGENTMD_AGENT": "alice"}
    data = json.loads(cli(example, "prime", "--json", "--max-chars", "3500", env=alice).stdout)
    assert len(data["text"]) <= 3500
    names = [d["item"] for d in data["dropped"]]
    assert "dependencies: handoff of package-skeleton" in names
    assert "Left out to fit the " in data["text"]
    assert "handoff of package-skeleton (~" in data["text"]
    # A long handoff that cannot fit beside the prompt is left out whole, and named.
    assert cli(example, "handoff", "new", "tokenizer").exit_code == 0
    (handoff,) = (example / ".agents/handoffs").glob("*-tokenizer.md")
    handoff.write_text(handoff.read_text() + "\n" + "A long note about the work. " * 400 + "\n")
    data = json.loads(cli(example, "prime", "--json", "--max-chars", "9500", env=alice).stdout)
    assert len(data["text"]) <= 9500
    rel = f".agents/handoffs/{handoff.name}"
    assert {"item": f"latest handoff {rel}", "tokens": 3971} in data["dropped"]
    assert (
        f"Left out to fit: the latest handoff, {rel} (~3,971 tokens). Read it first"
        in (data["text"])
    )
    assert "A long note" not in data["text"]
    tiny = json.loads(cli(example, "prime", "--json", "--max-chars", "400", env=alice).stdout)
    assert tiny["dropped"] == [{"item": "task prompt", "tokens": 0}]
    assert len(tiny["text"]) <= 400
    assert "does not fit in this host's 400 characters" in tiny["text"]


def test_a_second_run_with_nothing_changed_prints_the_same_bytes(example):
    first = cli(example, "prime", env={"AGENTMD_AGENT": "bob"}).stdout
    second = cli(example, "prime", env={"AGENTMD_AGENT": "bob"}).stdout
    assert first == second and first.startswith("# tally")


@pytest.mark.slow
def test_the_bench_plan_of_10000_tasks_primes_within_its_budget_and_names_the_rest(tmp_path):
    sys.path.insert(0, str(BENCH))
    try:
        from plans import make_plan
    finally:
        sys.path.remove(str(BENCH))
    root = tmp_path / "plan"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.name", "Bench")
    git(root, "config", "user.email", "bench@example.com")
    make_plan(root, 10_000, {})
    data = json.loads(cli(root, "prime", "--json", env={"AGENTMD_AGENT": "nobody"}).stdout)
    assert data["kind"] == "orientation"
    assert ESTIMATE.count(data["text"]) == data["tokens"] <= data["budget"] == 2000
    assert data["dropped"][0]["item"].endswith("more ready tasks")
    assert int(data["dropped"][0]["item"].split()[0].replace(",", "")) > 1000
    assert (
        "Not shown: " in data["text"] and "(`agentmd status` shows them all)" in data["text"]
    )


@pytest.mark.parametrize("budget", [60, 150])
def test_a_small_prime_budget_drops_list_lines_from_the_bottom_and_counts_them(example, budget):
    plan = example / ".agents/plan.md"
    plan.write_text(plan.read_text().replace("---\n", f"---\nprime_budget: {budget}\n", 1))
    for n in range(6):
        assert cli(example, "add", f"Extra task {n}", "--priority", "low").exit_code == 0
    data = json.loads(cli(example, "prime", "--json", env={"AGENTMD_AGENT": "bob"}).stdout)
    assert data["budget"] == budget
    assert data["tokens"] <= budget or not any("- `" in line for line in data["text"].splitlines())
    assert data["dropped"] and "more ready tasks" in data["dropped"][0]["item"]


def test_a_fresh_plans_placeholder_goal_is_named_as_such_not_shown_as_the_goal(repo):
    assert cli(repo, "init").exit_code == 0
    text = cli(repo, "prime", env={"AGENTMD_AGENT": "bob"}).stdout
    assert text.startswith("# repo: where the work stands (agentmd)\n\n")
    assert (
        "Goal: (plan.md's ## Goal still holds the template's text: write the project's goal" in text
    )
    assert "What this project is for" not in text
    assert "## Ready\n\nThere are no tasks yet: `agentmd add TITLE` writes one.\n" in text


def test_the_orientation_says_why_nothing_is_ready(repo):
    assert cli(repo, "init").exit_code == 0
    cli(repo, "add", "First")
    cli(repo, "add", "Second", "--depends-on", "first")
    task = repo / ".agents/tasks/first.md"
    task.write_text(task.read_text().replace("status: todo", "status: blocked"))
    text = cli(repo, "prime", env={"AGENTMD_AGENT": "bob"}).stdout
    assert "## Ready\n\nNothing is ready (`agentmd next --explain` says why).\n" in text
    for name in ("first", "second"):
        path = repo / f".agents/tasks/{name}.md"
        path.write_text(path.read_text().replace("status: blocked", "status: todo"))
        path.write_text(path.read_text().replace("status: todo", "status: done\nsource: x#1"))
    text = cli(repo, "prime", env={"AGENTMD_AGENT": "bob"}).stdout
    assert "## Ready\n\nNothing is left: every task is done (2).\n" in text


def test_files_that_cannot_be_read_are_named_in_the_orientation(example):
    broken = example / ".agents/tasks/broken.md"
    broken.write_text("---\ntitle: [unclosed\n---\n")
    text = cli(example, "prime", env={"AGENTMD_AGENT": "bob"}).stdout
    assert (
        "Claim one before you change files.\n\n"
        "Cannot be read: .agents/tasks/broken.md (`agentmd check` says where and why).\n\n"
        "## Ready (1)"
    ) in text
