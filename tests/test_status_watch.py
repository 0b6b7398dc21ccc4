"""`agentmd status --watch` in a real terminal: tmux, send-keys and capture-pane."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import cli
from loopkit import make_plan

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]


def tmux(socket: str, *args: str) -> str:
    return subprocess.run(
        ["tmux", "-L", socket, *args], capture_output=True, text=True, check=True
    ).stdout


def screen_with(socket: str, text: str, timeout: float = 30) -> str:
    end = time.time() + timeout
    shown = ""
    while time.time() < end:
        shown = tmux(socket, "capture-pane", "-p", "-t", "watch")
        if text in shown:
            return shown
        time.sleep(0.2)
    raise AssertionError(f"{text!r} never appeared; the pane shows:\n{shown}")


def test_the_board_is_redrawn_when_a_task_changes_and_fits_the_pane(repo, tmp_path):
    make_plan(repo, {"a": [], "b": ["a"]})
    socket = f"agentmd-test-{os.getpid()}-{tmp_path.name}"
    command = f"cd {repo} && {sys.executable} -m agentmd status --watch"
    tmux(socket, "-f", "/dev/null", "new-session", "-d", "-s", "watch", "-x", "60", "-y", "12",
         command)  # fmt: skip
    try:
        shown = screen_with(socket, "ready (1): a")
        assert "Loop test plan: 2 tasks (2 todo)" in shown
        assert "  b: waits for a (todo)" in shown or "blocked (1):" in shown
        assert max(len(line) for line in shown.splitlines()) <= 60
        assert cli(repo, "claim", "a").exit_code == 0
        shown = screen_with(socket, "active (1):")
        assert "ready (1): a" not in shown
        assert "Loop test plan: 2 tasks (1 todo, 1 active)" in shown
        tmux(socket, "send-keys", "-t", "watch", "C-c")
        end, alive = time.time() + 10, True
        while time.time() < end and alive:  # ^C ends it, and with it the pane's session
            listed = subprocess.run(
                ["tmux", "-L", socket, "list-sessions", "-F", "#S"], capture_output=True, text=True
            )
            alive = listed.returncode == 0 and "watch" in listed.stdout
            time.sleep(0.2)
        assert not alive
    finally:
        subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True)
    assert Path(repo / ".agents/tasks/a.md").read_text().count("status: active") == 1
