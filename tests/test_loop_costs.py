"""What it costs: each attempt's time, exit and reported cost in the log's ledger (and a failed
attempt's ## Attempts), summed by `status`; plan.md's budget_usd stops new work once spent."""

from __future__ import annotations

import json

import pytest

from agentmd.loop import costs
from conftest import cli, run_agentmd
from loopkit import attempts_section, loop_env, make_plan, status_of, worker

pytestmark = pytest.mark.slow


def spent_lines(repo) -> list[str]:
    log = (repo / ".agents/memory/log.md").read_text().splitlines()
    return [line.split(" ", 2)[2] for line in log if " spent " in line]


def test_the_budget_stops_new_work_once_spent_and_status_shows_the_spend(repo):
    make_plan(repo, {"a": [], "b": [], "c": []}, extra="budget_usd: 0.3\n")
    result = run_agentmd(
        repo, "run", "--worker", worker("cost"), "--until-done", env=loop_env(), timeout=90
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert [status_of(repo, t) for t in "abc"] == ["done", "done", "todo"]
    lines = result.stdout.splitlines()
    assert (
        "stop starting work: the plan's budget_usd ($0.30) is spent ($0.50); running workers "
        "finish, reviews and merges go on"
    ) in lines
    assert lines[-1] == "nothing is ready, active or in review"
    ledger = spent_lines(repo)
    assert [line.split(",")[0] for line in ledger] == ["spent a: attempt 1", "spent b: attempt 1"]
    assert all(line.endswith(", $0.2500, 1200 tokens") for line in ledger), ledger
    board = cli(repo, "status")
    assert board.exit_code == 0, board.output
    spend = [line for line in board.stdout.splitlines() if "spend" in line or "per " in line]
    assert spend[0].startswith("spend: $0.50 of budget_usd $0.30 over 2 attempt(s), ")
    assert spend[0].endswith(" min of worker time, 2400 tokens")
    assert spend[2] == "  per task: a $0.25, b $0.25"
    data = json.loads(cli(repo, "status", "--json").stdout)["spend"]
    assert (data["total_usd"], data["budget_usd"], data["tokens"]) == (0.5, 0.3, 2400)
    assert data["by_task"] == {"a": 0.25, "b": 0.25}


def test_a_failed_attempt_records_its_time_and_exit_in_attempts(repo):
    make_plan(repo, {"a": []}, max_attempts=1)
    result = run_agentmd(
        repo, "run", "--worker", worker("crash"), "--until-done", env=loop_env(), timeout=90
    )
    assert result.returncode == 1, result.stdout + result.stderr
    attempts = attempts_section(repo, "a")
    assert "  (the attempt: exit 3, " in attempts and attempts.rstrip().endswith(" s)")
    (line,) = spent_lines(repo)
    assert line.startswith("spent a: attempt 1, exit 3, ")


def test_the_worker_report_is_read_from_a_json_log(tmp_path):
    log = tmp_path / "attempt-1.log"
    log.write_text(
        'working\n{"type": "system"}\n'
        '{"type": "result", "total_cost_usd": 1.5, "usage": {"input_tokens": 10, '
        '"cache_read_input_tokens": 5, "output_tokens": 2}}\n'
    )
    assert costs.reported(log) == (1.5, 17)
    # `codex exec --json`: OpenAI's cached input tokens are a part of input_tokens, not more
    log.write_text(
        '{"type": "thread.started", "thread_id": "t"}\n'
        '{"type": "turn.completed", "usage": {"input_tokens": 24763, '
        '"cached_input_tokens": 24448, "output_tokens": 122}}\n'
    )
    assert costs.reported(log) == (None, 24885)
    log.write_text('{"usage": {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10}}')
    assert costs.reported(log) == (None, 10)  # a total given is the total
    log.write_text("no report at all\n")
    assert costs.reported(log) == (None, None)


def test_until_done_ends_when_the_only_ready_task_is_held_by_its_own_budget(repo):
    """A task whose spend reached task_budget_usd is not started again: with nothing else to do,
    `--until-done` ends (exit 1) rather than waiting for it for ever."""
    make_plan(repo, {"a": []}, extra="task_budget_usd: 0.2\n")
    failing = "cat >/dev/null; echo boom; echo '{\"total_cost_usd\": 0.25}'; exit 3"
    result = run_agentmd(
        repo, "run", "--worker", failing, "--until-done", "--max-sleep", "1",
        env=loop_env(), timeout=60,
    )  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert "skip a: its spend $0.25 reached task_budget_usd $0.20" in lines
    assert lines[-1] == "nothing is ready, active or in review"
    assert status_of(repo, "a") == "todo"
