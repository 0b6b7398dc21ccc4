"""Claims across clones: `--push` with a bare remote on disk and clones racing in real processes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import cli, git

TASK = """---
title: Task {id}
status: todo
priority: medium
depends_on: []
outputs: [src/{id}.py]
created: 2026-11-20
---
## Goal

Write src/{id}.py.
"""


def remote_with_plan(tmp_path: Path, repo: Path, ids: list[str]) -> Path:
    assert cli(repo, "init").exit_code == 0
    for task_id in ids:
        (repo / ".agents" / "tasks" / f"{task_id}.md").write_text(TASK.format(id=task_id))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "plan")
    bare = tmp_path / "remote.git"
    git(tmp_path, "clone", "-q", "--bare", str(repo), str(bare))
    return bare


def clone(tmp_path: Path, bare: Path, name: str) -> Path:
    path = tmp_path / name
    git(tmp_path, "clone", "-q", str(bare), str(path))
    for key, value in (
        ("user.name", name),
        ("user.email", f"{name}@example.com"),
        ("commit.gpgsign", "false"),
    ):
        git(path, "config", key, value)
    return path


def claimed_in_remote(tmp_path: Path, bare: Path, ids: list[str]) -> dict[str, str]:
    check = clone(tmp_path, bare, "checker")
    owners = {}
    for task_id in ids:
        text = (check / ".agents" / "tasks" / f"{task_id}.md").read_text()
        fields = dict(
            line.split(": ", 1)
            for line in text.split("---")[1].strip().splitlines()
            if ": " in line
        )
        if fields["status"] == "active":
            owners[task_id] = fields["claimed_by"]
    return owners


@pytest.mark.slow
def test_clones_racing_with_push_claim_each_task_exactly_once(tmp_path, repo):
    ids = [f"t{n}" for n in range(8)]
    bare = remote_with_plan(tmp_path, repo, ids)
    clones = [clone(tmp_path, bare, f"agent{n}") for n in range(4)]
    # Each clone claims until nothing is left; all four start at once, as separate processes.
    script = (
        "import subprocess, sys\n"
        "got = []\n"
        "while True:\n"
        "    r = subprocess.run([sys.executable, '-m', "
        "'agentmd', 'next', '--claim', '--push', '--json'],"
        " capture_output=True, text=True)\n"
        "    if r.returncode == 1 and 'nothing is ready' in r.stderr: break\n"
        "    if r.returncode != 0: print('ERROR', r.stderr, file=sys.stderr); sys.exit(2)\n"
        "    import json; got.append(json.loads(r.stdout)['task']['id'])\n"
        "print(' '.join(got))\n"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script],
            cwd=path,
            env={**os.environ, "AGENTMD_AGENT": path.name},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for path in clones
    ]
    claimed: dict[str, list[str]] = {}
    for path, proc in zip(clones, procs, strict=True):
        out, err = proc.communicate(timeout=240)
        assert proc.returncode == 0, err
        claimed[path.name] = out.split()
    everything = [task for tasks in claimed.values() for task in tasks]
    assert sorted(everything) == ids  # every task once: none twice, none lost
    owners = claimed_in_remote(tmp_path, bare, ids)
    assert owners == {task: name for name, tasks in claimed.items() for task in tasks}


def test_claim_push_commits_only_the_task_file_and_refuses_a_task_another_clone_took(
    tmp_path, repo
):
    bare = remote_with_plan(tmp_path, repo, ["t0", "t1"])
    alice, bob = clone(tmp_path, bare, "alice"), clone(tmp_path, bare, "bob")
    result = cli(alice, "claim", "t0", "--push", "--as", "alice")
    assert result.exit_code == 0, result.output
    assert result.stdout == "claimed t0 as alice (pushed)\n"
    assert git(alice, "show", "--name-only", "--format=%s", "HEAD") == (
        "agentmd: claim t0 by alice\n\n.agents/memory/log.md\n.agents/tasks/t0.md\n"
    )
    assert git(alice, "status", "--porcelain") == ""  # its log line went with it
    # bob has not fetched: his local t0 is still todo, the push tells him otherwise
    result = cli(bob, "claim", "t0", "--push", "--as", "bob")
    assert result.exit_code == 1
    assert result.stderr == "agentmd: error: task 't0' is active, not todo: it cannot be claimed\n"
    result = cli(bob, "next", "--claim", "--push", "--as", "bob", "--json")
    assert result.exit_code == 0, result.output
    assert claimed_in_remote(tmp_path, bare, ["t0", "t1"]) == {"t0": "alice", "t1": "bob"}


def test_push_without_an_upstream_says_how_to_set_one(repo):
    assert cli(repo, "init").exit_code == 0
    (repo / ".agents" / "tasks" / "t0.md").write_text(TASK.format(id="t0"))
    result = cli(repo, "next", "--claim", "--push")
    assert result.exit_code == 2
    assert result.stderr == (
        "agentmd: error: branch 'main' has no upstream to push claims to\n"
        "  hint: git push -u origin main\n"
    )
