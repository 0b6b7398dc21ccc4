"""The prompt compiler: order, content, budget, determinism, refusals."""

from __future__ import annotations

import json
from pathlib import Path

from agentmd.tasks import claims
from agentmd.workspace.folder import Workspace
from conftest import cli, git

GOLDEN = Path(__file__).parent / "golden" / "example-next.md"


def test_the_example_prompt_matches_the_golden_file_byte_for_byte(example):
    result = cli(example, "next")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == GOLDEN.read_text()


def test_the_same_files_give_the_same_bytes(example):
    first = cli(example, "next").stdout
    (example / ".agents/.cache/index.bin").unlink()
    assert cli(example, "next").stdout == first


def test_parts_come_in_the_documented_order(example):
    prompt = cli(example, "next").stdout
    headings = [line for line in prompt.splitlines() if line.startswith("## ")]
    assert headings == [
        "## Project: tally, a word-frequency command-line tool",
        "## Your task",
        "## What the tasks it depends on left you",
        "## Tasks waiting on this one",
        "## Rules that apply",
        "## Decisions and gotchas that apply (newest first)",
        "## When you finish",
    ]


def test_a_rule_scoped_to_other_files_is_left_out(example):
    rule = example / ".agents/rules/docs.md"
    rule.write_text('---\ntitle: Docs rule\napplies_to: ["docs/**"]\n---\nWrite docs.\n')
    prompt = cli(example, "next").stdout
    assert "Python style" in prompt and "Tests" in prompt  # the rules that do apply
    assert "Docs rule" not in prompt


def test_order_is_priority_then_unblocks_then_age_then_id(repo):
    cli(repo, "init")
    for args in (
        ["Low one", "--id", "low", "--priority", "low"],
        ["Leaf", "--id", "leaf"],
        ["Root", "--id", "root"],
        ["Child", "--id", "child", "--depends-on", "root"],
        ["Another", "--id", "another"],
    ):
        assert cli(repo, "add", *args).exit_code == 0
    result = cli(repo, "next", "--explain", "--json")
    ranked = [entry["id"] for entry in json.loads(result.stdout)["ready"]]
    assert ranked == ["root", "another", "leaf", "low"]
    assert json.loads(result.stdout)["blocked"] == [
        {"id": "child", "reasons": ["depends on 'root' (todo)"]}
    ]


def test_json_gives_the_task_the_prompt_and_each_part(example):
    data = json.loads(cli(example, "next", "--json").stdout)
    assert data["schema"] == 1
    assert data["task"]["id"] == "tokenizer"
    assert data["prompt"] == GOLDEN.read_text()
    assert [part["name"] for part in data["parts"]] == [
        "header",
        "plan",
        "constraints",
        "task",
        "dependencies",
        "waiting",
        "rules",
        "memory",
        "finish",
    ]
    assert data["dropped"] == []
    assert data["tokens"] <= data["budget"] == 120000


def test_over_budget_memory_goes_first_and_the_footer_says_so(example):
    full = json.loads(cli(example, "next", "--json").stdout)
    budget = full["tokens"] - 1
    data = json.loads(cli(example, "next", "--json", "--budget", str(budget)).stdout)
    assert data["tokens"] <= budget
    assert [d["item"] for d in data["dropped"]] == ["decision memory/decisions/stdlib-only.md"]
    assert "Left out to fit the" in data["prompt"]
    assert "decision memory/decisions/stdlib-only.md (~" in data["prompt"]


def test_a_task_that_cannot_fit_is_refused_as_too_large(example):
    result = cli(example, "next", "--budget", "300")
    assert result.exit_code == 1
    assert "task 'tokenizer' is too large to delegate" in result.stderr
    assert "hint: decompose it" in result.stderr
    assert "claimed_by" not in (example / ".agents/tasks/tokenizer.md").read_text()


def test_claim_records_who_when_and_base(example):
    head = git(example, "rev-parse", "HEAD").strip()
    result = cli(
        example, "next", "--claim", "--as", "alice", env={"AGENTMD_NOW": "2026-11-22T10:00:00Z"}
    )
    assert result.exit_code == 0
    text = (example / ".agents/tasks/tokenizer.md").read_text()
    assert "status: active\n" in text
    assert (
        "claimed_by: alice\nclaimed_at: 2026-11-22T10:00:00Z\nlease: 2h\n"
        f"base: {head}\n---\n" in text
    )
    log = (example / ".agents/memory/log.md").read_text()
    assert log.endswith(f"- 2026-11-22T10:00:00Z claim tokenizer: by alice at {head[:12]}\n")
    assert cli(example, "next").exit_code == 1


def test_write_claim_is_the_one_claim_writer_sync_and_parallel_share(example, monkeypatch):
    monkeypatch.setenv("AGENTMD_NOW", "2026-11-22T10:00:00Z")
    head = git(example, "rev-parse", "HEAD").strip()
    path = example / ".agents/tasks/tokenizer.md"
    before = path.read_text()
    ws = Workspace(example)
    with ws.lock():
        claims.write_claim(ws, ws.task("tokenizer"), "carol")
    claim = f"claimed_by: carol\nclaimed_at: 2026-11-22T10:00:00Z\nlease: 2h\nbase: {head}\n---\n"
    assert path.read_text() == before.replace("status: todo", "status: active").replace(
        "---\n## Goal", claim + "## Goal", 1
    )
    log = (example / ".agents/memory/log.md").read_text()
    assert log.endswith(f"- 2026-11-22T10:00:00Z claim tokenizer: by carol at {head[:12]}\n")


def test_fail_records_attempts_and_the_retry_prompt_includes_them(example):
    env = {"AGENTMD_NOW": "2026-11-22T10:00:00Z"}
    cli(example, "claim", "tokenizer", "--as", "bob", env=env)
    result = cli(example, "fail", "tokenizer", "--reason", "tests for apostrophes fail", env=env)
    assert result.stdout == "tokenizer: attempt 1 failed, now todo\n"
    text = (example / ".agents/tasks/tokenizer.md").read_text()
    assert text.endswith(
        "## Attempts\n\n- Attempt 1 (2026-11-22T10:00:00Z by bob): tests for apostrophes fail\n"
    )
    assert "claimed_by" not in text and "attempts: 1\n" in text
    prompt = cli(example, "next").stdout
    assert "## Earlier attempts" in prompt and "tests for apostrophes fail" in prompt
    cli(example, "fail", "tokenizer", "--reason", "second")
    assert (
        cli(example, "fail", "tokenizer", "--reason", "third").stdout
        == "tokenizer: attempt 3 failed, now failed\n"
    )


def test_block_records_the_reason(example):
    cli(example, "block", "cli", "--reason", "waiting for the API design")
    text = (example / ".agents/tasks/cli.md").read_text()
    assert "status: blocked\n" in text and "blocked_reason: waiting for the API design\n" in text
    assert (
        "--reason TEXT  What it waits for (kept as blocked_reason).  [required]\n"
        in cli(example, "block", "--help").stdout
    )


def test_add_writes_a_task_with_a_unique_slug(repo):
    cli(repo, "init")
    assert cli(repo, "add", "Write the JWT util!").stdout == "write-the-jwt-util\n"
    result = cli(
        repo, "add", "Write the JWT util!", "--verify", "npm test -- jwt", "--output", "src/a: b.ts"
    )
    assert result.stdout == "write-the-jwt-util-2\n"
    shown = json.loads(cli(repo, "show", "write-the-jwt-util-2", "--json").stdout)["task"]
    assert shown["verify"] == ["npm test -- jwt"] and shown["outputs"] == ["src/a: b.ts"]
    assert shown["ready"] is True


def test_add_refuses_a_path_out_of_the_repository_and_warns_of_an_unknown_dependency(repo):
    cli(repo, "init")
    result = cli(repo, "add", "Leak", "--output", "/etc/passwd")
    assert result.exit_code == 2
    assert result.stderr == (
        "agentmd: error: --output '/etc/passwd' is absolute\n"
        "  hint: name paths relative to the repository root, inside it\n"
    )
    assert cli(repo, "add", "Climb", "--input", "../secrets.txt").exit_code == 2
    assert not list((repo / ".agents/tasks").glob("*.md"))
    result = cli(repo, "add", "Later", "--depends-on", "not-yet")
    assert result.exit_code == 0 and result.stdout == "later\n"
    assert result.stderr == (
        "agentmd: warning: 'later' depends on 'not-yet', which is "
        "not a task (yet): it stays blocked until there is one\n"
    )


def test_nothing_to_do_exits_1(repo):
    cli(repo, "init")
    result = cli(repo, "next")
    assert result.exit_code == 1
    assert "there are no tasks" in result.stderr


def test_a_crash_prints_one_line_and_a_log_path(example, monkeypatch, tmp_path):
    import tempfile

    from agentmd.tasks import graph

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the log goes to the temp folder
    monkeypatch.setattr(graph, "rank", lambda ready, counts: 1 / 0)
    result = cli(example, "next")
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "agentmd: internal error: ZeroDivisionError: division by zero (details in "
    )
    assert "Traceback" not in result.output
    (log,) = tmp_path.glob("agentmd-crash-*.log")
    assert (
        "ZeroDivisionError" in log.read_text()
        and f"(details in {log}; please report it)" in result.stderr
    )


def test_a_part_whose_items_were_all_left_out_loses_its_heading_too(example):
    full = json.loads(cli(example, "next", "--json").stdout)
    memory = next(p["tokens"] for p in full["parts"] if p["name"] == "memory")
    data = json.loads(
        cli(example, "next", "--json", "--budget", str(full["tokens"] - memory + 60)).stdout
    )
    assert len(data["dropped"]) >= 2
    assert "## Decisions and gotchas" not in data["prompt"]
    assert "memory" not in [p["name"] for p in data["parts"]]
