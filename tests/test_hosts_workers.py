"""The worker command lines `agentmd setup HOST --worker` prints, run by the loop with stand-ins
for each host's CLI that refuse edits and commits the way the real ones do without the flags."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from conftest import cli, run_agentmd
from loopkit import attempts_section, make_plan, status_of

pytestmark = pytest.mark.slow
STAND_IN = Path(__file__).resolve().parent / "workers" / "host_stand_in.py"


def host_bin(tmp_path: Path) -> Path:
    """A folder on PATH with `claude`, `codex` and `gemini`: the stand-ins."""
    folder = tmp_path / "bin"
    folder.mkdir()
    for host in ("claude", "codex", "gemini"):
        script = folder / host
        script.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{STAND_IN}" {host} "$@"\n')
        script.chmod(0o755)
    return folder


def run_loop(repo: Path, worker: str, folder: Path):
    path = f"{folder}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    return run_agentmd(repo, "run", "--worker", worker, "--until-done", env={"PATH": path},
                       timeout=120)  # fmt: skip


@pytest.mark.parametrize("host", ["claude", "codex", "gemini"])
def test_the_printed_worker_line_finishes_the_task_inside_the_loop(repo, tmp_path, host):
    make_plan(repo, {"a": []}, max_attempts=1)
    line = cli(repo, "setup", host, "--worker").stdout.strip()
    result = run_loop(repo, line, host_bin(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert status_of(repo, "a") == "done"
    assert (repo / "out/a.txt").read_text() == "done a\n"
    assert "done a: verify passed, handoff valid, merged agentmd/a" in result.stdout
    ledger = (repo / ".agents/memory/log.md").read_text().splitlines()
    (spent,) = [line for line in ledger if " spent a: attempt 1, exit 0, " in line]
    if host == "claude":  # --output-format json: Claude Code reports what the attempt cost
        assert spent.endswith(", $0.0421, 6000 tokens"), spent
    else:  # Codex and Gemini report no cost on their default output: time and exit only
        assert spent.endswith(" s") and ", exit 0, " in spent, spent


@pytest.mark.parametrize(
    "host, naive, refusal",
    [
        ("claude", "claude -p", "claude: permission to write out/a.txt was denied"),
        ("codex", "codex exec -", "codex: permission to write out/a.txt was denied"),
        ("gemini", 'gemini -p "Do the task above."',
         "gemini: permission to write out/a.txt was denied"),
    ],
)  # fmt: skip
def test_without_the_flags_the_host_refuses_and_the_loop_fails_the_attempt(
    repo, tmp_path, host, naive, refusal
):
    make_plan(repo, {"a": []}, max_attempts=1)
    result = run_loop(repo, naive, host_bin(tmp_path))
    assert result.returncode == 1, result.stdout + result.stderr
    assert status_of(repo, "a") == "failed"
    assert not (repo / "out/a.txt").exists()
    log = (repo / ".agents/.cache/runs/a/attempt-1.log").read_text()
    assert refusal in log
    assert "- Attempt 1 (" in attempts_section(repo, "a")


def test_codex_without_the_git_dir_cannot_commit_and_the_loop_commits_what_it_left(repo, tmp_path):
    """The agent is told to commit; without --add-dir a linked worktree's git directory is out
    of its sandbox. The loop still lands the work, as its own commit."""
    from conftest import git

    make_plan(repo, {"a": []}, max_attempts=1)
    result = run_loop(repo, "codex exec --sandbox workspace-write -", host_bin(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    log = (repo / ".agents/.cache/runs/a/attempt-1.log").read_text()
    assert "codex: permission to run git commit was denied" in log
    merged = git(repo, "log", "--format=%s", "HEAD")  # its branch is pruned once merged
    assert "agentmd: work a left uncommitted" in merged
    assert status_of(repo, "a") == "done"
