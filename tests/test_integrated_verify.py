"""The loop merges only what holds once merged: a src-layout package installed editable into a
venv whose bin/ is first on PATH (an activated venv), and a worker that breaks an import in its
own outputs while the task's narrow verify still passes in its worktree (where `python` imports
the main checkout, not the worktree)."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import pytest

from conftest import git, run_agentmd
from loopkit import attempts_section, loop_env, make_plan, status_of, worker

pytestmark = pytest.mark.slow

TASK = """---
title: Write {id}
status: todo
priority: medium
depends_on: []
inputs: []
outputs: [out/{id}.txt, src/demo/{id}.py]
verify:
  - grep -q "done {id}" out/{id}.txt
  - python -c "import demo.{id}"
created: 2026-11-20
---
## Goal

`out/{id}.txt` says `done {id}`.
"""
# worktree_setup's venv for a worktree: the same editable-style import, of that worktree's src/.
MAKE_VENV = """\
import pathlib, subprocess, sys, sysconfig
subprocess.run([sys.executable, "-m", "venv", "--without-pip", ".venv"], check=True)
site = sysconfig.get_path("purelib", vars={"base": ".venv", "platbase": ".venv"})
pathlib.Path(site, "__editable__.demo.pth").write_text(str(pathlib.Path("src").resolve()) + "\\n")
"""


@pytest.fixture(scope="session")
def venv(tmp_path_factory) -> Path:
    """A venv made once per session; each test installs its checkout into it editable."""
    path = tmp_path_factory.mktemp("venv") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    return path


def editable_install(venv: Path, checkout: Path) -> None:
    """What `pip install -e .` leaves for a src layout: a .pth naming the checkout's src/."""
    site = sysconfig.get_path("purelib", vars={"base": str(venv), "platbase": str(venv)})
    Path(site, "__editable__.demo.pth").write_text(f"{checkout / 'src'}\n")


def project(repo: Path, venv: Path, extra: str = "") -> Path:
    """The package (src/demo/a.py, b.py) and a plan of two tasks, one per module."""
    (repo / "src" / "demo").mkdir(parents=True)
    (repo / "src" / "demo" / "__init__.py").write_text("")
    for name in "ab":
        (repo / "src" / "demo" / f"{name}.py").write_text(f"VALUE = {name!r}\n")
    (repo / "tools").mkdir()
    (repo / "tools" / "make_venv.py").write_text(MAKE_VENV)
    (repo / ".gitignore").write_text(".venv/\n.env\n__pycache__/\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "the demo package")
    make_plan(repo, {"a": [], "b": []}, max_attempts=1, extra=extra)
    for name in "ab":
        (repo / ".agents" / "tasks" / f"{name}.md").write_text(TASK.format(id=name))
    git(repo, "commit", "-q", "-am", "tasks that change the package")
    editable_install(venv, repo)
    return repo


def run(repo: Path, venv: Path, *args: str):
    env = loop_env()
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env['PATH']}"  # the venv is activated
    env["VIRTUAL_ENV"] = str(venv)
    return run_agentmd(repo, "run", *args, env=env, timeout=120)


def test_without_worktree_setup_a_merge_that_breaks_an_import_is_undone_and_the_sound_task_lands(
    repo, venv
):
    project(repo, venv, extra='verify:\n  - python -c "import demo.a, demo.b"\n')
    # The trap itself: in a's worktree the narrow verify imports the main checkout.
    result = run(repo, venv, "--worker", worker("break:a"), "--until-done")
    assert_a_not_merged_and_b_merged_in(repo, venv, result)
    attempts = attempts_section(repo, "a")
    assert "integrated verify failed in the base checkout, main with agentmd/a merged in;" in (
        attempts
    )
    assert '- `python -c "import demo.a"` exited 1:' in attempts
    assert "RuntimeError: a is broken" in attempts
    assert '- `python -c "import demo.a, demo.b"` exited 1:' in attempts  # plan.md's verify


def test_with_worktree_setup_the_merge_is_verified_in_its_own_prepared_worktree(repo, venv):
    extra = (
        "worktree_setup:\n  - test -f .env\n  - python tools/make_venv.py\n"
        "worktree_include: [.env]\n"
        'verify:\n  - .venv/bin/python -c "import demo.a, demo.b"\n'
    )
    project(repo, venv, extra=extra)
    (repo / ".env").write_text("SECRET=1\n")  # untracked: worktree_include copies it in
    result = run(repo, venv, "--worker", worker("break:a"), "--until-done")
    assert_a_not_merged_and_b_merged_in(repo, venv, result)
    attempts = attempts_section(repo, "a")
    assert (
        "integrated verify failed in .agents/.cache/integration, main with agentmd/a merged in;"
        in attempts
    )
    assert '- `.venv/bin/python -c "import demo.a, demo.b"` exited 1:' in attempts
    assert "RuntimeError: a is broken" in attempts
    # The worker's worktree was set up before it started: its log says so.
    log = (repo / ".agents/.cache/runs/b/attempt-1.log").read_text()
    assert log.startswith(
        "agentmd: worktree_setup: ( test -f .env ) && ( python tools/make_venv.py )\n"
    )
    assert "fake worker break:a on b" in log


def test_a_failing_worktree_setup_is_a_failed_attempt_with_its_output(repo, venv):
    project(repo, venv, extra="worktree_setup:\n  - echo no .env here; test -f .env\n")
    result = run(repo, venv, "--worker", worker("good"), "--until-done")
    assert result.returncode == 1, result.stdout + result.stderr
    assert status_of(repo, "a") == "failed"
    attempts = attempts_section(repo, "a")
    assert "the worker exited with status 1" in attempts
    assert "no .env here" in attempts
    assert "agentmd: worktree_setup failed with exit status 1" in attempts


def assert_a_not_merged_and_b_merged_in(repo: Path, venv: Path, result) -> None:
    assert result.returncode == 1, result.stdout + result.stderr
    assert status_of(repo, "a") == "failed", result.stdout
    assert status_of(repo, "b") == "done", result.stdout
    assert (repo / "src" / "demo" / "a.py").read_text() == "VALUE = 'a'\n"
    assert (repo / "out" / "b.txt").read_text() == "done b\n"
    assert not (repo / "out" / "a.txt").exists()
    log = git(repo, "log", "--format=%s")
    assert "agentmd: merge agentmd/b (b)" in log
    assert "agentmd: merge agentmd/a (a)" not in log
    # nothing half-merged, nothing staged, no merge in progress
    assert git(repo, "status", "--porcelain", "--untracked-files=no") == ""
    assert git(repo, "diff", "--cached", "--name-only") == ""
    assert not (repo / ".git" / "MERGE_HEAD").exists()
    assert "failed a: attempt 1 of 1: integrated verify failed in " in result.stdout
    assert "done b: verify passed, handoff valid, merged agentmd/b" in result.stdout
    # main imports, through the editable install, after the loop
    imported = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import demo.a, demo.b"],
        cwd=repo,
        capture_output=True,
        text=True,
    )
    assert imported.returncode == 0, imported.stderr


def test_a_branch_merged_before_the_loop_was_killed_is_found_merged(repo, venv):
    project(repo, venv, extra='verify:\n  - python -c "import demo.a, demo.b"\n')
    result = run(repo, venv, "--worker", worker("good"), "--once")
    deadline = time.time() + 60
    while status_of(repo, "a") != "review" and time.time() < deadline:
        result = run(repo, venv, "--worker", worker("good"), "--once")
    # As a loop killed right after its merge commit leaves it: merged, the task in review.
    git(repo, "merge", "-q", "--no-ff", "--no-verify", "-m", "agentmd: merge agentmd/a (a)",
        "agentmd/a")  # fmt: skip
    result = run(repo, venv, "--worker", worker("good"), "--once")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "done a: verify passed, handoff valid, merged agentmd/a" in result.stdout
    assert status_of(repo, "a") == "done"
    assert git(repo, "log", "--format=%s").count("agentmd: merge agentmd/a (a)") == 1
