"""The loop's one line per attempt says why it failed: for a command that failed, the line of
its output that names the error, not a heading that ends in a colon."""

from __future__ import annotations

from agentmd.tasks.reasons import one_line
from conftest import cli

INTEGRATED = """\
integrated verify failed in the base checkout, main with agentmd/x merged in; main stays at \
cd682abec753, nothing merged:
- `python -m pytest -q -x` exited 1:
    src/itsdangerous/__init__.py:1: in <module>
        from .encoding import base64_decode as base64_decode
    E     File "/tmp/g-trial/src/itsdangerous/encoding.py", line 2
    E       from __future__ import annotations
    E   SyntaxError: from __future__ imports must occur at the beginning of the file
    =========================== short test summary info ============================
    ERROR tests/test_itsdangerous/test_encoding.py
    1 error in 0.15s
- `make lint` exited 2:
    ruff: 3 files checked
    done
"""


def test_a_failed_command_is_followed_by_the_line_of_its_output_that_names_the_error():
    assert one_line(INTEGRATED) == (
        "integrated verify failed in the base checkout, main with agentmd/x merged in; main "
        "stays at cd682abec753, nothing merged: `python -m pytest -q -x` exited 1: SyntaxError: "
        "from __future__ imports must occur at the beginning of the file; `make lint` exited 2: "
        "done"
    )


def test_review_problems_stay_one_item_each_and_a_log_tail_gives_its_telling_line():
    review = "review found problems:\n- scope drift: changed notes.txt\n- verify: `x` exited 1"
    assert one_line(review) == (
        "review found problems: scope drift: changed notes.txt; verify: `x` exited 1"
    )
    # (the line ended at the colon, the tail left out: it said nothing of what went wrong)
    crash = (
        "the worker exited 3; the end of its log:\nTraceback (most recent call last):\n"
        '  File "w.py", line 3\nRuntimeError: boom\nbye'
    )
    assert one_line(crash) == "the worker exited 3; the end of its log: RuntimeError: boom"
    assert one_line("the worker exited 3; the end of its log:\nbye") == (
        "the worker exited 3; the end of its log: bye"
    )


def test_status_shows_a_failed_tasks_last_reason_with_the_error_its_command_printed(
    example, monkeypatch
):
    monkeypatch.setenv("AGENTMD_NOW", "2026-11-21T08:00:00Z")
    plan = example / ".agents/plan.md"
    plan.write_text(plan.read_text().replace("max_attempts: 3", "max_attempts: 1"))
    assert cli(example, "claim", "tokenizer").exit_code == 0
    reason = INTEGRATED.replace("agentmd/x", "agentmd/tokenizer")
    assert cli(example, "fail", "tokenizer", "--reason", reason).exit_code == 0
    out = cli(example, "status").stdout
    assert (
        "  tokenizer: Attempt 1 (2026-11-21T08:00:00Z by "
    ) in out
    line = next(line for line in out.splitlines() if line.startswith("  tokenizer: Attempt 1"))
    assert line.endswith(
        "nothing merged: `python -m pytest -q -x` exited 1: SyntaxError: from __future__ "
        "imports must occur at the beginning of the file; `make lint` exited 2: done"
    )
    from agentmd.loop import watch
    from agentmd.workspace.folder import Workspace

    frame = watch.frame(Workspace.find(example), 400, 40)
    assert [shown for shown in frame if shown.startswith("  tokenizer: ")] == [line]  # once
