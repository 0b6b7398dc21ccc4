"""Helpers for the loop's tests: a small plan of independent tasks in a real git repository,
and the fake worker command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import cli, git

WORKER = Path(__file__).resolve().parent / "workers" / "fake_worker.py"
PLAN = """---
title: Loop test plan
max_attempts: {max_attempts}
lease: 2h
{extra}---
## Goal

Write one file per task.
"""
TASK = """---
title: Write {id}
status: todo
priority: medium
depends_on: [{deps}]
inputs: []
outputs: [out/{id}.txt]
verify:
  - grep -q "done {id}" out/{id}.txt
created: 2026-11-20
---
## Goal

`out/{id}.txt` says `done {id}`.
"""


def worker(mode: str) -> str:
    return f"{sys.executable} {WORKER} {mode}"


def make_plan(
    repo: Path, tasks: dict[str, list[str]], max_attempts: int = 3, extra: str = ""
) -> Path:
    """`tasks` maps an id to its dependencies; everything is committed on main."""
    assert cli(repo, "init").exit_code == 0
    agents = repo / ".agents"
    (agents / "plan.md").write_text(PLAN.format(max_attempts=max_attempts, extra=extra))
    for task_id, deps in tasks.items():
        (agents / "tasks" / f"{task_id}.md").write_text(
            TASK.format(id=task_id, deps=", ".join(deps))
        )
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "plan")
    return repo


def loop_env() -> dict[str, str]:
    """The verify commands and workers find this Python first."""
    return {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}


def start_loop(repo: Path, *args: str, piped: bool = True, **popen) -> subprocess.Popen:
    """`agentmd run ARGS` started in the background, as a person leaves it running; its output
    piped to the test (or dropped), its environment `loop_env`'s."""
    stream = subprocess.PIPE if piped else subprocess.DEVNULL
    return subprocess.Popen(
        [sys.executable, "-m", "agentmd", "run", *args],
        cwd=repo,
        env={**os.environ, **loop_env()},
        stdout=stream,
        stderr=stream,
        text=True,
        **popen,
    )


def status_of(repo: Path, task_id: str) -> str:
    text = (repo / ".agents" / "tasks" / f"{task_id}.md").read_text()
    return next(
        line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("status:")
    )


def attempts_section(repo: Path, task_id: str) -> str:
    text = (repo / ".agents" / "tasks" / f"{task_id}.md").read_text()
    return text.split("## Attempts", 1)[1] if "## Attempts" in text else ""
