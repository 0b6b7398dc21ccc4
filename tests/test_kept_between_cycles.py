"""A process that checks again (the loop) keeps each handoff's findings between checks
(handoffs/kept.py): every check it makes must say what a fresh `agentmd check` says, whatever
changed in between, and must not judge again what nothing changed."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from agentmd.checks import passes
from agentmd.handoffs import kept
from agentmd.prompt.tokens import ESTIMATE
from agentmd.workspace.folder import Workspace
from conftest import TOKENIZER_HANDOFF, base_of, cli, git

HANDOFF = ".agents/handoffs/2026-11-21-tokenizer.md"


def settle(root: Path) -> None:
    """Every file and folder a minute old: out of the racy window, so that what is kept is
    kept (a file or folder changed within it is always looked at again)."""
    past = time.time() - 60
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d != ".git"]
        for name in files:
            os.utime(os.path.join(folder, name), (past, past))
        os.utime(folder, (past, past))


def hand_off(example: Path) -> None:
    """Tokenizer claimed (committed), its file and its handoff written (not committed)."""
    assert cli(example, "claim", "tokenizer").exit_code == 0
    git(example, "add", "-A")
    git(example, "commit", "-q", "-m", "claim tokenizer")
    (example / "src/tally").mkdir(parents=True)
    (example / "src/tally/tokenize.py").write_text("def words(text):\n    return text.split()\n")
    (example / HANDOFF).write_text(TOKENIZER_HANDOFF.format(base=base_of(example)))


@pytest.fixture
def handed_off(example: Path) -> Path:
    """The example with tokenizer done: its file, its handoff, committed."""
    hand_off(example)
    git(example, "add", "-A")
    git(example, "commit", "-q", "-m", "tokenizer")
    settle(example)
    return example


def findings(ws: Workspace) -> list[tuple]:
    """(path, line, code, severity, message) of each finding of one more check by `ws`, as
    the loop's workspace keeps them."""
    ws.keep_findings()
    ws.refresh()
    return [_row(p) for p in passes.check_workspace(ws, ESTIMATE).problems]


def fresh(root: Path) -> list[tuple]:
    """The same from a fresh process's check."""
    return [_row(p) for p in passes.check_workspace(Workspace(root), ESTIMATE).problems]


def _row(p) -> tuple:
    return (p.path, p.line, p.code, p.severity, p.message)


@pytest.fixture
def judged(monkeypatch) -> list[str]:
    """The handoffs each check judges anew."""
    seen: list[str] = []
    real = passes.judge

    def judge(display, *args):
        seen.append(display)
        return real(display, *args)

    monkeypatch.setattr(passes, "judge", judge)
    return seen


def test_a_second_check_judges_no_handoff_again(handed_off, judged):
    ws = Workspace(handed_off)
    first = findings(ws)
    assert HANDOFF in judged
    judged.clear()
    (handed_off / ".agents/tasks/counter.md").touch()  # a task file changed, no handoff
    again = findings(ws)
    assert judged == []
    assert again == first == fresh(handed_off)
    assert ws.handoffs_kept is not None and "handoffs/2026-11-21-tokenizer.md" in (
        ws.handoffs_kept.entries
    )


def test_a_named_file_deleted_is_found_by_the_next_check(handed_off, judged):
    ws = Workspace(handed_off)
    assert not [p for p in findings(ws) if p[0] == HANDOFF]
    (handed_off / "src/tally/tokenize.py").unlink()
    past = time.time() - 30  # its folder's mtime moved, but out of the racy window
    os.utime(handed_off / "src/tally", (past, past))
    judged.clear()
    after = findings(ws)
    assert HANDOFF in judged
    assert after == fresh(handed_off)
    assert [(p[1], p[2], p[4]) for p in after if p[0] == HANDOFF] == [
        (8, "handoff-path-missing", "'src/tally/tokenize.py' does not exist"),
    ]


def test_a_gitignore_changed_drops_what_was_kept(handed_off, judged):
    # (from review: a path git ignores is no claim of a file, so the .gitignore is something
    # the findings follow from; editing it left stale findings kept)
    ws = Workspace(handed_off)
    findings(ws)
    judged.clear()
    (handed_off / ".gitignore").write_text("build/\n")
    after = findings(ws)
    assert HANDOFF in judged
    assert after == fresh(handed_off)


def test_a_folder_changed_just_now_keeps_nothing(handed_off, judged):
    ws = Workspace(handed_off)
    findings(ws)
    (handed_off / "src/tally/other.py").write_text("X = 1\n")  # src/tally changed now
    judged.clear()
    findings(ws)
    assert HANDOFF in judged


def test_a_task_deleted_is_found_in_its_handoff(handed_off, judged):
    ws = Workspace(handed_off)
    assert not [p for p in findings(ws) if p[2] == "handoff-task-unknown"]
    (handed_off / ".agents/tasks/tokenizer.md").unlink()
    after = findings(ws)
    assert after == fresh(handed_off)
    assert [(p[0], p[2]) for p in after if p[2] == "handoff-task-unknown"] == [
        (HANDOFF, "handoff-task-unknown")
    ]


def test_an_amended_commit_moves_the_handoffs_end(handed_off, judged):
    """The handoff's file is as it was, but the commit that last touched it now also adds a
    file Artifacts leaves out: HEAD moved to a commit that does not descend from the last."""
    ws = Workspace(handed_off)
    assert not [p for p in findings(ws) if p[2] == "handoff-artifacts-missing"]
    (handed_off / "src/tally/extra.py").write_text("X = 1\n")
    git(handed_off, "add", "-A")
    git(handed_off, "commit", "-q", "--amend", "--no-edit")
    settle(handed_off)
    judged.clear()
    after = findings(ws)
    assert HANDOFF in judged
    assert after == fresh(handed_off)
    assert [p[2] for p in after if p[0] == HANDOFF] == ["handoff-artifacts-missing"]


def test_a_commit_that_touches_the_handoff_drops_it(handed_off, judged):
    """A commit on top that changes the handoff in git but not on disk (here: the file's
    mode) moves its last commit: it is judged again."""
    ws = Workspace(handed_off)
    findings(ws)
    git(handed_off, "update-index", "--chmod=+x", HANDOFF)
    git(handed_off, "commit", "-q", "-m", "mode")
    git(handed_off, "update-index", "--chmod=-x", HANDOFF)  # the index as the file is
    judged.clear()
    findings(ws)
    assert HANDOFF in judged


def test_an_uncommitted_handoff_is_judged_every_time(example, judged):
    """Held to the diff to the working tree, which any edit moves."""
    hand_off(example)
    settle(example)
    ws = Workspace(example)
    assert not [p for p in findings(ws) if p[0] == HANDOFF]
    (example / "src/tally/extra.py").write_text("X = 1\n")
    settle(example)
    judged.clear()
    after = findings(ws)
    assert HANDOFF in judged
    assert after == fresh(example)
    assert [p[2] for p in after if p[0] == HANDOFF] == ["handoff-artifacts-missing"]


def test_the_commits_that_touched_handoffs(handed_off):
    old = git(handed_off, "rev-parse", "HEAD").strip()
    (handed_off / ".agents/handoffs/2026-11-22-counter.md").write_text("---\ntask: counter\n---\n")
    (handed_off / "README.md").write_text("# changed\n")
    git(handed_off, "add", "-A")
    git(handed_off, "commit", "-q", "-m", "more")
    new = git(handed_off, "rev-parse", "HEAD").strip()
    assert kept._touched(handed_off, old, new) == {"handoffs/2026-11-22-counter.md"}
    assert kept._touched(handed_off, new, new) == set()
    assert kept._touched(handed_off, new, old) is None  # not a descendant


# -- what a prompt reads, and the ranking -------------------------------------------------


def test_a_prompt_compiled_again_reads_what_changed(example):
    """Unchanged files are parsed once per process (Workspace.read_kept); a changed one is read
    again: the task's own goal and a waiting task's goal, as a fresh process shows them."""
    from agentmd.prompt.compiler import compile_prompt

    settle(example)
    ws = Workspace(example)
    first = compile_prompt(ws, ws.tasks["tokenizer"]).prompt
    assert "the `n` most frequent words" in first and "it decides\nwhat a word is" in first
    for name, old, new in (
        ("counter", "most frequent", "rarest"),
        ("tokenizer", "it decides\nwhat a word is", "it decides what a token is"),
    ):
        path = example / f".agents/tasks/{name}.md"
        path.write_text(path.read_text().replace(old, new))
    ws.refresh()
    again = compile_prompt(ws, ws.tasks["tokenizer"]).prompt
    assert "the `n` rarest words" in again and "it decides what a token is" in again
    assert "the `n` most frequent" not in again
    assert again == compile_prompt(Workspace(example), Workspace(example).tasks["tokenizer"]).prompt


def test_unblock_counts_follow_a_new_dependency(example):
    from agentmd.tasks import graph

    ws = Workspace(example)
    assert ws.unblocks.of(ws.tasks)["tokenizer"] == 4
    (example / ".agents/tasks/docs.md").write_text(
        "---\ntitle: Docs\nstatus: todo\ndepends_on: [tokenizer]\n---\n## Goal\n\nDocs.\n"
    )
    ws.refresh()
    assert ws.unblocks.of(ws.tasks)["tokenizer"] == 5 == graph.unblock_counts(ws.tasks)["tokenizer"]
    (example / ".agents/tasks/counter.md").unlink()  # cli, readme-usage, json-output now wait
    ws.refresh()  # on a task that does not exist
    assert ws.unblocks.of(ws.tasks) == graph.unblock_counts(ws.tasks)
    assert ws.unblocks.of(ws.tasks)["tokenizer"] == 1


def test_the_counts_are_worked_out_once_for_the_tasks_of_one_read(example, monkeypatch):
    from agentmd.tasks import graph

    ws = Workspace(example)
    reckoned = []
    real = graph.unblock_counts
    monkeypatch.setattr(graph, "unblock_counts", lambda tasks: reckoned.append(1) or real(tasks))
    compared = []

    class Edges(dict):  # what the kept edges are compared with, each time they are
        def __ne__(self, other):
            compared.append(1)
            return dict.__ne__(self, other)

    first = ws.unblocks.of(ws.tasks)
    ws.unblocks.edges = Edges(ws.unblocks.edges)
    for _ in range(8):  # as each prompt compiled in a cycle asks
        assert ws.unblocks.of(ws.tasks) is first
        ws.unblocks.waiting(ws.tasks)
    assert reckoned == [1] and compared == []
    ws.refresh()  # a new read: its tasks are compared, and equal edges keep the counts
    assert ws.unblocks.of(ws.tasks) is first and reckoned == [1] and compared == [1]
    counter = example / ".agents/tasks/counter.md"
    counter.write_text(counter.read_text().replace("status: todo", "status: done"))
    ws.refresh()
    assert ws.unblocks.of(ws.tasks) == real(ws.tasks) and reckoned == [1, 1]


def test_the_gate_asks_for_errors_only_and_gets_every_error(handed_off):
    """The loop's gate leaves out the passes that can only warn (an expired lease, inputs
    changed since planned): it still gets every error a full check finds."""
    counter = handed_off / ".agents/tasks/counter.md"
    text = counter.read_text().replace(
        "status: todo",
        "status: active\nclaimed_at: 2020-01-01T00:00:00Z\nclaimed_by: gone\npriority: soon",
    )
    counter.write_text(text)
    full = passes.check_workspace(Workspace(handed_off), ESTIMATE).problems
    gate = passes.check_workspace(Workspace(handed_off), ESTIMATE, errors_only=True).problems
    assert "lease-expired" in {p.code for p in full}
    assert "lease-expired" not in {p.code for p in gate}
    errors = [_row(p) for p in full if p.severity == "error"]
    assert errors and [_row(p) for p in gate if p.severity == "error"] == errors


def test_the_waiting_tasks_follow_a_new_dependency_and_a_finished_one(example):
    ws = Workspace(example)
    assert ws.unblocks.waiting(ws.tasks)["counter"] == ["cli"]
    (example / ".agents/tasks/docs.md").write_text(
        "---\ntitle: Docs\nstatus: todo\ndepends_on: [counter, counter]\n---\n## Goal\n\nDocs.\n"
    )
    ws.refresh()
    assert ws.unblocks.waiting(ws.tasks)["counter"] == ["cli", "docs"]
    cli_task = example / ".agents/tasks/cli.md"
    cli_task.write_text(cli_task.read_text().replace("status: todo", "status: done"))
    ws.refresh()  # a task done no longer waits
    assert ws.unblocks.waiting(ws.tasks)["counter"] == ["docs"]


def test_only_a_process_that_checks_again_keeps_findings(handed_off):
    """A one-shot `check` keeps nothing (no bookkeeping, no git call for it); the loop's and
    the board's workspaces keep them."""
    from agentmd.board.live import Live
    from agentmd.loop import cycle

    once = Workspace(handed_off)
    passes.check_workspace(once, ESTIMATE)
    assert once.handoffs_kept is None
    loop_ws = Workspace(handed_off)
    cycle.Loop(loop_ws, cycle.Options(worker="true", slots=1, dry_run=True), print)
    assert loop_ws.handoffs_kept is not None
    assert Live(Workspace(handed_off))._checked.handoffs_kept is not None
