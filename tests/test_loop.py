"""`agentmd run`: the loop with fake workers, in real git repositories and real processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import cli, git, run_agentmd
from fake_anthropic import tool_use
from loopkit import attempts_section, loop_env, make_plan, start_loop, status_of, worker

pytestmark = pytest.mark.slow


def run(repo: Path, *args: str, timeout: float = 90):
    return run_agentmd(repo, "run", *args, env=loop_env(), timeout=timeout)


def test_a_good_worker_finishes_every_task_and_its_branch_is_merged(repo):
    make_plan(repo, {"a": [], "b": ["a"], "c": []})
    result = run(repo, "--worker", worker("good"), "--slots", "2", "--until-done")
    assert result.returncode == 0, result.stdout + result.stderr
    assert [status_of(repo, t) for t in "abc"] == ["done", "done", "done"]
    assert (repo / "out" / "a.txt").read_text() == "done a\n"
    assert (repo / "out" / "b.txt").read_text() == "done b\n"
    lines = result.stdout.splitlines()
    assert lines[-1] == "every task is done"
    assert "done a: verify passed, handoff valid, merged agentmd/a" in lines
    # b waited for a: it was started only after a was done.
    assert lines.index("done a: verify passed, handoff valid, merged agentmd/a") < next(
        n for n, line in enumerate(lines) if line.startswith("start b:")
    )
    log = git(repo, "log", "--format=%s")
    assert "agentmd: merge agentmd/a (a)" in log
    assert git(repo, "status", "--porcelain", "--untracked-files=no") == ""
    handoffs = sorted(p.name for p in (repo / ".agents" / "handoffs").glob("*.md"))
    assert [name.split("-", 3)[3] for name in handoffs] == ["a.md", "b.md", "c.md"]


def test_a_vague_handoff_sends_the_task_back_with_the_finding_then_fails_it(repo):
    make_plan(repo, {"a": []}, max_attempts=2)
    result = run(repo, "--worker", worker("vague"), "--until-done")
    assert result.returncode == 1, result.stdout + result.stderr
    assert status_of(repo, "a") == "failed"
    attempts = attempts_section(repo, "a")
    assert attempts.count("- Attempt ") == 2
    assert "- Attempt 1 (" in attempts and "- Attempt 2 (" in attempts
    assert "review found problems:" in attempts
    assert "error handoff-vague: vague: 'some issues'" in attempts
    assert "retry a: attempt 1 of 2 failed: review found problems:" in result.stdout
    assert "failed a: attempt 2 of 2: review found problems:" in result.stdout
    assert result.stdout.splitlines()[-1] == "nothing is ready, active or in review"
    assert not (repo / "out" / "a.txt").exists()  # never merged
    # The retry started the branch over: attempt 1's work is kept under a ref of its own (it
    # was lost), attempt 2's is on the branch
    kept = git(repo, "for-each-ref", "--format=%(refname)", "refs/agentmd/attempts/").split()
    assert kept == ["refs/agentmd/attempts/a/1"]
    assert git(repo, "show", "refs/agentmd/attempts/a/1:out/a.txt") == "done a\n"
    assert git(repo, "show", "agentmd/a:out/a.txt") == "done a\n"


def test_a_worker_that_touches_files_outside_its_outputs_is_sent_back_for_scope_drift(repo):
    make_plan(repo, {"a": []})
    result = run(repo, "--worker", worker("drift"), "--once")
    assert result.returncode == 0, result.stderr
    deadline = time.time() + 30
    while "review a" not in result.stdout and time.time() < deadline:
        result = run(repo, "--worker", worker("drift"), "--once")
    assert status_of(repo, "a") == "review"
    result = run(repo, "--worker", worker("drift"), "--once")
    assert status_of(repo, "a") == "todo"
    assert "- scope drift: changed notes.txt outside its outputs (out/a.txt)" in attempts_section(
        repo, "a"
    )
    assert result.stdout == (
        "retry a: attempt 1 of 3 failed: review found problems: scope drift: changed notes.txt "
        "outside its outputs (out/a.txt)\n"
    )


def test_a_worker_that_hangs_is_stopped_after_the_timeout_with_its_log_tail(repo):
    make_plan(repo, {"a": []}, max_attempts=1)
    started = time.time()
    result = run(repo, "--worker", worker("hang"), "--timeout", "2s", "--until-done")
    assert time.time() - started < 30
    assert result.returncode == 1, result.stdout + result.stderr
    assert status_of(repo, "a") == "failed"
    attempts = attempts_section(repo, "a")
    assert (
        "the worker was stopped after worker_timeout (2s); the "
        "end of its log (.agents/.cache/runs/a/attempt-1.log):"
        in attempts
    )
    assert "fake worker hang on a" in attempts


def test_a_worker_that_crashes_is_a_failed_attempt_with_its_exit_status_and_log_tail(repo):
    make_plan(repo, {"a": []})
    result = run(repo, "--worker", worker("crash"), "--once")
    deadline = time.time() + 30
    while status_of(repo, "a") == "active" and time.time() < deadline:
        time.sleep(0.2)
        result = run(repo, "--worker", worker("crash"), "--once")
    assert status_of(repo, "a") == "todo"
    attempts = attempts_section(repo, "a")
    assert (
        "the worker exited with status 3; the end of its "
        "log (.agents/.cache/runs/a/attempt-1.log):\n"
        "  fake worker crash on a\n  Traceback (most recent call last):\n  RuntimeError: boom"
    ) in attempts
    assert result.stdout == (  # (the line ended at the colon: the log's tail said nothing)
        "retry a: attempt 1 of 3 failed: the worker exited with status 3; the end of its log "
        "(.agents/.cache/runs/a/attempt-1.log): RuntimeError: boom\n"
    )
    assert (
        (repo / ".agents/.cache/runs/a/attempt-1.log")
        .read_text()
        .startswith("fake worker crash on a\n")
    )


def test_a_retry_gets_a_fresh_worktree_and_a_prompt_with_the_earlier_problems(repo):
    make_plan(repo, {"a": []})
    run(repo, "--worker", worker("crash"), "--once")
    deadline = time.time() + 30
    while status_of(repo, "a") != "todo" and time.time() < deadline:
        time.sleep(0.2)
        run(repo, "--worker", worker("crash"), "--once")
    result = run(repo, "--worker", worker("good"), "--until-done")
    assert result.returncode == 0, result.stdout + result.stderr
    assert status_of(repo, "a") == "done"
    prompt = (repo / ".agents/.cache/runs/a/attempt-2.prompt.md").read_text()
    assert "## Earlier attempts" in prompt
    assert "the worker exited with status 3" in prompt
    assert "## You are running inside `agentmd run`" in prompt


def test_dry_run_says_what_it_would_do_and_changes_nothing(repo):
    make_plan(repo, {"a": [], "b": ["a"]})
    before = git(repo, "rev-parse", "HEAD")
    result = run(repo, "--worker", worker("good"), "--dry-run")
    assert result.returncode == 0, result.stderr
    assert (
        result.stdout
        == "would claim a (attempt 1) and start the worker "
           "in .agents/.cache/worktrees/a on agentmd/a\n"
    )
    assert status_of(repo, "a") == "todo"
    assert git(repo, "rev-parse", "HEAD") == before
    assert not (repo / ".agents/.cache/worktrees/a").exists()


def test_the_loop_refuses_a_plan_that_does_not_pass_check(repo):
    make_plan(repo, {"a": ["b"], "b": ["a"]})
    result = run(repo, "--worker", worker("good"), "--until-done")
    assert result.returncode == 1
    assert "error dependency-cycle: dependency cycle: a -> b -> a" in result.stdout
    assert result.stdout.splitlines()[-1] == (
        "stop: the plan does not pass 'agentmd check' (1 error(s)); fix them and start again"
    )


def test_a_done_task_whose_handoff_claims_an_untouched_file_stops_the_loop_as_check_does(repo):
    make_plan(repo, {"a": []})
    assert run(repo, "--worker", worker("good"), "--until-done").returncode == 0
    (handoff,) = (repo / ".agents" / "handoffs").glob("*-a.md")
    handoff.write_text(handoff.read_text().replace("- out/a.txt\n", "- out/a.txt\n- README.md\n"))
    git(repo, "commit", "-q", "-am", "a's handoff claims README.md too")
    finding = (
        f".agents/handoffs/{handoff.name}:33:1: error handoff-artifacts-untouched: "
        "Artifacts lists 'README.md'"
    )
    checked = cli(repo, "check")
    assert checked.exit_code == 1
    assert finding in checked.stdout
    result = run(repo, "--worker", worker("good"), "--once")
    assert result.returncode == 1
    assert finding in result.stdout
    assert result.stdout.splitlines()[-1].startswith("stop: the plan does not pass 'agentmd check'")


def test_with_manual_merge_the_branch_waits_for_a_person_then_the_task_is_done(repo):
    make_plan(repo, {"a": []}, extra="merge: manual\n")
    result = run(repo, "--worker", worker("good"), "--until-done")
    assert result.returncode == 1, result.stdout + result.stderr
    assert (
        "await a: verify passed, handoff valid; merge branch agentmd/a by hand (merge: manual)"
        in result.stdout
    )
    assert status_of(repo, "a") == "review"
    status = cli(repo, "status")
    assert (
        "awaiting merge (1):\n  a  branch agentmd/a: git merge it, then the loop marks it done\n"
        in status.stdout
    )
    git(repo, "merge", "-q", "--no-edit", "agentmd/a")
    result = run(repo, "--worker", worker("good"), "--once")
    assert result.stdout == "done a: agentmd/a was merged by hand\n"
    assert status_of(repo, "a") == "done"


def test_a_merge_conflict_sends_the_task_back_with_the_conflicting_file(repo):
    make_plan(repo, {"a": []})
    # the base branch gains out/a.txt while the worker writes its own
    run(repo, "--worker", worker("slow"), "--once")
    (repo / "out").mkdir()
    (repo / "out" / "a.txt").write_text("someone else\n")
    git(repo, "add", "out/a.txt")
    git(repo, "commit", "-q", "-m", "a person writes out/a.txt")
    deadline = time.time() + 30
    while status_of(repo, "a") != "todo" and time.time() < deadline:
        time.sleep(0.2)
        run(repo, "--worker", worker("slow"), "--once")
    person = git(repo, "log", "-1", "--format=%h", "--", "out/a.txt").strip()
    assert (
        f"rebasing onto main conflicts in out/a.txt (changed there by commit {person} (a person "
        "writes out/a.txt)); the next attempt starts from the current main"
        in attempts_section(repo, "a")
    )
    assert git(repo, "status", "--porcelain", "--untracked-files=no") == ""


def test_review_flag_calls_the_model_review_and_its_findings_send_the_task_back(repo, monkeypatch):
    calls = []

    def fake_review(ws, task, records):
        calls.append((task.id, ws.root.name, records.root.name))
        return ["src/x.py:1: the function has no tests"]

    monkeypatch.setattr("agentmd.api.review.review_for_loop", fake_review)
    make_plan(repo, {"a": []}, max_attempts=1)
    monkeypatch.setenv("PATH", loop_env()["PATH"])
    result = cli(repo, "run", "--worker", worker("good"), "--review", "--until-done")
    assert result.exit_code == 1, result.output
    assert calls == [("a", "a", "repo")]  # in the task's worktree, recorded in the repository
    assert status_of(repo, "a") == "failed"
    assert "- review: src/x.py:1: the function has no tests" in attempts_section(repo, "a")


def test_sigterm_stops_the_loop_cleanly_and_leaves_the_worker_its_claim(repo):
    make_plan(repo, {"a": []})
    proc = start_loop(repo, "--worker", worker("hang"))
    deadline = time.time() + 30
    while status_of(repo, "a") != "active" and time.time() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert (
        out.splitlines()[-1]
        == "stopped: running workers keep their claims until their leases expire"
    )
    assert status_of(repo, "a") == "active"
    pid = int((repo / ".agents/.cache/runs/a/attempt-1.pid").read_text())
    os.kill(pid, 0)  # the worker still runs
    board = cli(repo, "status").stdout
    assert f"; worker pid {pid}, attempt 1, log .agents/.cache/runs/a/attempt-1.log\n" in board
    os.killpg(pid, signal.SIGKILL)


def test_a_second_loop_in_the_same_repository_is_refused(repo):
    make_plan(repo, {"a": []})
    proc = start_loop(repo, "--worker", worker("hang"))
    try:
        deadline = time.time() + 30
        while status_of(repo, "a") != "active" and time.time() < deadline:
            time.sleep(0.1)
        result = run(repo, "--worker", worker("good"), "--once")
        assert result.returncode == 2
        assert result.stderr == (
            "agentmd: error: another 'agentmd run' is running in this repository\n"
            "  hint: stop it first; 'agentmd status' shows what it is doing\n"
        )
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
        pid = int((repo / ".agents/.cache/runs/a/attempt-1.pid").read_text())
        os.killpg(pid, signal.SIGKILL)


def test_the_loop_killed_with_sigkill_again_and_again_finishes_the_plan_with_every_task_done_once(
    repo,
):
    ids = ["a", "b", "c", "d", "e", "f", "g"]
    make_plan(
        repo, {"a": [], "b": [], "c": ["a"], "d": ["b"], "e": ["c", "d"], "f": ["e"], "g": ["e"]}
    )
    env = {**os.environ, **loop_env(), "FAKE_WORKER_SLEEP": "0.5"}
    # A bound, not a timing: on two loaded cores one start of the loop with a merge and its
    # integrated verify takes about as long as the longest run between kills.
    deadline = time.time() + 300
    kills = 0
    while time.time() < deadline:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "agentmd",
                "run",
                "--worker",
                worker("slow"),
                "--slots",
                "2",
                "--until-done",
            ],
            cwd=repo,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            code = proc.wait(timeout=0.4 + 0.37 * (kills % 4))
        except subprocess.TimeoutExpired:
            proc.kill()  # SIGKILL, wherever it was
            proc.wait()
            kills += 1
            continue
        if code == 0:
            break
    assert kills >= 3
    assert [status_of(repo, t) for t in ids] == ["done"] * len(ids)
    log = git(repo, "log", "--format=%s")
    for task_id in ids:
        # each task's work landed once, and never ran twice at once
        assert log.count(f"{task_id}: slow worker") == 1, log
        assert log.count(f"agentmd: merge agentmd/{task_id} ({task_id})") == 1
    assert (repo / "out" / "e.txt").read_text() == "done e\n"


def test_plan_md_settings_give_the_worker_and_the_slots(repo):
    make_plan(repo, {"a": [], "b": [], "c": []}, extra=f'worker: "{worker("good")}"\nslots: 2\n')
    result = run(repo, "--dry-run")
    assert result.stdout == (
        "would claim a (attempt 1) and start the worker "
        "in .agents/.cache/worktrees/a on agentmd/a\n"
        "would claim b (attempt 1) and start the worker "
        "in .agents/.cache/worktrees/b on agentmd/b\n"
    )
    result = run(repo, "--until-done")
    assert result.returncode == 0, result.stdout + result.stderr
    assert [status_of(repo, t) for t in "abc"] == ["done"] * 3


def test_without_a_worker_or_with_a_bad_timeout_the_loop_says_what_to_set(repo):
    make_plan(repo, {"a": []}, extra="worker_timeout: soon\n")
    result = cli(repo, "run", "--once")
    assert result.exit_code == 2
    assert result.stderr == (
        "agentmd: error: worker_timeout 'soon' is not a duration\n"
        "  hint: write numbers with units d, h, m, s in "
        "that order, e.g. 90s, 30m, 2h, 1d or 1h30m\n"
    )
    result = cli(repo, "run", "--once", "--timeout", "5m")
    assert result.exit_code == 2
    assert result.stderr == (
        "agentmd: error: no worker command: pass --worker CMD or set worker: in plan.md\n"
        '  hint: e.g. --worker "$(agentmd setup claude --worker)" (docs/integrations.md)\n'
    )


def test_an_idle_loop_wakes_up_when_a_task_file_appears(repo):
    make_plan(repo, {})
    proc = start_loop(repo, "--worker", worker("good"), "--max-sleep", "60")
    try:
        time.sleep(8.5)  # idle sleeps so far: 0.5, 1, 2, 4 s; now one of 8 s
        (repo / ".agents/tasks/late.md").write_text(TASK_LATE)
        written = time.time()
        while status_of_or_none(repo, "late") != "active" and time.time() - written < 20:
            time.sleep(0.05)
        assert time.time() - written < 2.5  # woken by the change, not by the end of a sleep
    finally:
        proc.terminate()
        proc.communicate(timeout=30)


TASK_LATE = """---
title: Late task
status: todo
outputs: [out/late.txt]
verify: ["grep -q 'done late' out/late.txt"]
---
## Goal

Arrives while the loop sleeps.
"""


def status_of_or_none(repo: Path, task_id: str) -> str | None:
    try:
        return status_of(repo, task_id)
    except (FileNotFoundError, StopIteration):
        return None


def test_the_demo_worker_finishes_the_whole_example_plan_two_at_a_time(example):
    demo = Path(__file__).resolve().parent.parent / "examples" / "demo_worker.py"
    result = run(
        example, "--worker", f"{sys.executable} {demo}", "--slots", "2", "--until-done", timeout=180
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1] == "every task is done"
    ids = ["tokenizer", "counter", "cli", "json-output", "readme-usage"]
    assert [status_of(example, t) for t in ids] == ["done"] * 5
    lines = result.stdout.splitlines()
    # json-output and readme-usage both wait only for cli: they ran side by side
    starts = [
        n
        for n, line in enumerate(lines)
        if line.startswith(("start json-output:", "start readme-usage:"))
    ]
    assert len(starts) == 2 and starts[1] == starts[0] + 1
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=example,
        capture_output=True,
        text=True,
    )
    assert tests.returncode == 0, tests.stdout
    assert tests.stdout.strip().splitlines()[-1].startswith("9 passed")
    assert "tally --top" in (example / "README.md").read_text()
    checked = cli(example, "check")
    assert checked.exit_code == 0, checked.output
    assert checked.stderr.startswith("0 error(s), ")
    # Only the example's own seed handoff warns (it has no base); the five merged are clean.
    findings = [line for line in checked.stdout.splitlines() if not line.startswith("  hint: ")]
    assert {line.split(":")[0] for line in findings} == {
        ".agents/handoffs/2026-11-16-package-skeleton.md"
    }
    assert all(": warning " in line for line in findings)


@pytest.mark.parametrize(
    ("env", "cause", "hint"),
    [
        (
            {},
            "ANTHROPIC_API_KEY is not set: this command asks the Anthropic API and needs a key",
            "",
        ),
        (
            {"ANTHROPIC_API_KEY": "sk-ant-test", "ANTHROPIC_BASE_URL": "http://127.0.0.1:9"},
            "cannot reach the Anthropic API at http://127.0.0.1:9: ",
            "check the network, and ANTHROPIC_BASE_URL if it is set; ",
        ),
    ],
    ids=["no key", "unreachable"],
)
def test_a_review_that_cannot_be_done_stops_the_loop_in_one_located_line_and_keeps_it_in_review(
    repo, env, cause, hint
):
    make_plan(repo, {"a": []}, extra="model_retries: 0\n")
    result = run_agentmd(
        repo,
        "run",
        "--worker",
        worker("good"),
        "--review",
        "--until-done",
        env={**loop_env(), **env},
        timeout=90,
    )
    assert result.returncode == 2
    assert result.stdout.splitlines()[-1] == "review a: its worker exited 0"
    error, hint_line = result.stderr.splitlines()
    assert error.startswith(
        ".agents/tasks/a.md:3:1: error review-unavailable: "
        f"the model's review of 'a' cannot be done: {cause}"
    )
    assert (
        hint_line
        == f"  hint: {hint}the task stays in review: start the "
           "loop again once it can be done, or without --review"
    )
    assert status_of(repo, "a") == "review"
    assert git(repo, "status", "--porcelain") == ""
    again = run(repo, "--worker", worker("good"), "--until-done")
    assert again.stdout.splitlines()[0] == "done a: verify passed, handoff valid, merged agentmd/a"
    assert status_of(repo, "a") == "done"


def test_a_model_review_in_the_worktree_is_kept_in_the_repository_and_the_worktree_prunes(
    repo, fake_api
):
    finding = {
        "severity": "minor",
        "path": "out/a.txt",
        "line": 1,
        "message": "the line has no newline check",
    }
    fake_api.messages = [
        tool_use("report_review", {"summary": "Good enough.", "findings": [finding]})
    ]
    make_plan(repo, {"a": []})
    result = run(repo, "--worker", worker("good"), "--review", "--until-done")
    assert result.returncode == 0, result.stdout + result.stderr
    assert status_of(repo, "a") == "done"
    (findings,) = (repo / ".agents" / "reviews").glob("*-a.md")
    assert "- minor `out/a.txt:1`: the line has no newline check\n" in findings.read_text()
    assert git(repo, "ls-files", ".agents/reviews") == f".agents/reviews/{findings.name}\n"
    assert (
        f"review a: pass, 0 blocking of 1 in reviews/{findings.name}\n"
        in (repo / ".agents/memory/log.md").read_text()
    )
    assert git(repo, "status", "--porcelain") == ""
    checked = cli(repo, "check")
    assert checked.exit_code == 0, checked.output
    # the loop pruned the worktree and the branch it made, once merged
    assert not (repo / ".agents/.cache/worktrees/a").exists()
    assert git(repo, "branch", "--list", "agentmd/*") == ""
    pruned = cli(repo, "worktree", "prune")
    assert pruned.stdout == "no worktrees to prune\n"
    assert pruned.exit_code == 0


def test_a_task_that_declares_no_outputs_may_change_anything_and_is_merged(repo):
    # (the review called every change of such a task scope drift, so an imported plan, whose
    # tasks declare no outputs, burnt every attempt)
    make_plan(repo, {"a": []})
    task = repo / ".agents/tasks/a.md"
    task.write_text(task.read_text().replace("outputs: [out/a.txt]", "outputs: []"))
    git(repo, "commit", "-qam", "no outputs")
    result = run(repo, "--worker", worker("drift"), "--until-done")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "scope drift" not in result.stdout
    assert "done a: verify passed, handoff valid, merged agentmd/a" in result.stdout
    assert (repo / "notes.txt").exists() and status_of(repo, "a") == "done"


def test_an_active_task_the_loop_did_not_start_is_named_once_and_released_when_its_lease_ends(
    repo,
):
    # (an imported task in progress, claimed by nobody and never timed, held every other task
    # back: the loop waited forever and said nothing)
    make_plan(repo, {"a": [], "b": []})
    task = repo / ".agents/tasks/a.md"
    task.write_text(
        task.read_text()
        .replace("status: todo", "status: active")
        .replace("outputs: [out/a.txt]", "outputs: []")
    )
    git(repo, "commit", "-qam", "a in progress elsewhere")
    result = run(repo, "--worker", worker("good"), "--once")
    assert result.stdout == (
        "wait: 1 ready task(s) held back by active tasks the loop did not start: a (claimed by "
        "nobody; claimed at an unknown time, so its lease never ends); 'agentmd release ID' "
        "hands one back\n"
    )
    # claimed long ago (as an import writes claimed_at): the plan's lease (2h) has run out
    claimed = "status: active\nclaimed_at: 2026-01-01T00:00:00Z"
    task.write_text(task.read_text().replace("status: active", claimed))
    git(repo, "commit", "-qam", "claimed in January")
    result = run(repo, "--worker", worker("good"), "--until-done", "--slots", "2")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("release a: its lease (2h) expired ")
    assert status_of(repo, "a") == "done" and status_of(repo, "b") == "done"
