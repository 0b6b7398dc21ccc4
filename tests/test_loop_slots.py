"""Each task its own environment: AGENTMD_SLOT and a block of ports per slot for the workers and
the loop's verify commands; exclusive `resources:` never held by two running tasks at once."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from conftest import cli, git, run_agentmd
from loopkit import loop_env, make_plan, status_of, worker

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1] // 10 * 10 - 100  # room for three blocks of 10 above


def add_to_tasks(repo: Path, ids: str, old: str, new: str) -> None:
    for task_id in ids:
        path = repo / ".agents/tasks" / f"{task_id}.md"
        path.write_text(path.read_text().replace(old, new, 1))
    git(repo, "commit", "-q", "-am", "tasks changed")


def test_two_workers_at_once_each_get_their_own_slot_and_ports_and_verify_its_own(repo, tmp_path):
    base = free_port()
    make_plan(repo, {"a": [], "b": []}, extra=f"ports: {base}+10\n")
    seen = tmp_path / "verify-env.txt"
    add_to_tasks(
        repo, "ab", "verify:\n", f'verify:\n  - echo "$AGENTMD_SLOT $AGENTMD_PORTS" >> {seen}\n'
    )
    env = {**loop_env(), "FAKE_WORKER_SLEEP": "2"}
    result = run_agentmd(
        repo, "run", "--worker", worker("port"), "--slots", "2", "--until-done", env=env, timeout=90
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert [status_of(repo, t) for t in "ab"] == ["done", "done"]
    # both held their ports at the same time: a bind on a taken port would have failed
    assert (repo / "out/a.txt").read_text() == f"done a\nslot 0 port {base}\n"
    assert (repo / "out/b.txt").read_text() == f"done b\nslot 1 port {base + 10}\n"
    # the loop's verify runs (in review, then on the merge) use the slot after the workers'
    assert seen.read_text().splitlines() == [f"2 {base + 20}-{base + 29}"] * 4


def test_tasks_that_need_one_resource_never_run_at_once(repo):
    make_plan(repo, {"a": [], "b": [], "c": []})
    add_to_tasks(repo, "ab", "inputs: []\n", "inputs: []\nresources: [db]\n")
    explained = cli(repo, "next", "--parallel", "3", "--explain")
    assert explained.exit_code == 0, explained.output
    assert "  b: held back by a: both need the resource db, which one task holds at a time\n" in (
        explained.stdout
    )
    env = {**loop_env(), "FAKE_WORKER_SLEEP": "0.5"}
    result = run_agentmd(
        repo, "run", "--worker", worker("slow"), "--slots", "3", "--until-done", env=env, timeout=90
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    starts = [n for n, line in enumerate(lines) if line.startswith("start ")]
    assert [lines[n].split(":")[0] for n in starts] == ["start a", "start c", "start b"]
    done_a = lines.index("done a: verify passed, handoff valid, merged agentmd/a")
    assert done_a < starts[2]  # b waited for a to give db back


def test_a_bad_ports_setting_stops_the_loop_before_it_starts(repo):
    make_plan(repo, {"a": []}, extra="ports: 8100\n")
    result = run_agentmd(repo, "run", "--worker", worker("good"), "--once", env=loop_env())
    assert result.returncode == 2
    assert result.stderr == (
        "agentmd: error: plan.md setting ports: '8100' is not FIRST+PER_SLOT\n"
        "  hint: e.g. ports: 8100+10 (slot 0 gets 8100-8109, slot 1 8110-8119, ...)\n"
    )
    assert status_of(repo, "a") == "todo"
