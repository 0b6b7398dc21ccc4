"""What `status` and `status --watch` say about the tasks that failed and about a usage-limit
pause: the board a person reads in a tmux pane in the morning."""

from __future__ import annotations

import time

from agentmd.loop import limits, watch
from agentmd.workspace.folder import Workspace
from conftest import cli
from loopkit import make_plan

ATTEMPTS = """
## Attempts

- Attempt 1 (2026-12-01T10:00:00Z by loop): the worker exited with status 3
- Attempt 2 (2026-12-01T11:00:00Z by loop): review found problems:
  - scope drift: changed notes.txt outside its outputs (out/a.txt)
  - handoff: .agents/handoffs/x.md:9:1: error handoff-vague: Summary is vague
"""


def failed_plan(repo):
    make_plan(repo, {"a": [], "b": []})
    task = repo / ".agents/tasks/a.md"
    task.write_text(task.read_text().replace("status: todo", "status: failed") + ATTEMPTS)
    return Workspace(repo)


def test_a_failed_task_is_listed_once_with_the_problems_of_its_last_attempt(repo):
    ws = failed_plan(repo)
    frame = watch.frame(ws, 400, 40)
    reason = (
        "  a: Attempt 2 (2026-12-01T11:00:00Z by loop): review found problems: scope drift: "
        "changed notes.txt outside its outputs (out/a.txt); handoff: .agents/handoffs/x.md:9:1: "
        "error handoff-vague: Summary is vague"
    )
    assert reason in frame
    assert [line for line in frame if line.startswith("failed (")] == [
        "failed (1): agentmd reopen ID sends one back to todo"
    ]
    status = cli(repo, "status")
    assert reason in status.stdout.splitlines()


def test_a_usage_limit_pause_is_on_the_board_until_it_ends(repo):
    ws = failed_plan(repo)
    assert not [line for line in watch.frame(ws, 200, 40) if line.startswith("paused")]
    state = limits.pause(ws, "You've hit your session limit · resets 3pm", now=time.time())
    said = (
        "paused: a worker hit a usage limit (You've hit your session limit · resets 3pm); "
        f"no worker starts until {limits.when(state.until)}"
    )
    assert said in watch.frame(ws, 200, 40)
    assert said in cli(repo, "status").stdout.splitlines()
    limits.pause(ws, "rate limited", now=time.time() - 7200)  # a pause that ended an hour ago
    assert not [line for line in watch.frame(ws, 200, 40) if line.startswith("paused")]
