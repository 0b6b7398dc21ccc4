"""handoffs/judge.py on its own: a handoff's reading held to git and the disk (the working tree
here; the commit hook's staged tree has its own tests)."""

from __future__ import annotations

import pytest

from agentmd.files import document
from agentmd.handoffs.judge import WorkTree, check_document
from agentmd.workspace.folder import Workspace
from conftest import TOKENIZER_HANDOFF, base_of, cli, git

DISPLAY = ".agents/handoffs/2026-11-21-tokenizer.md"


@pytest.fixture
def tree(example):
    """The example with tokenizer claimed and src/tally/tokenize.py written and committed."""
    assert cli(example, "claim", "tokenizer").exit_code == 0
    git(example, "add", "-A")
    git(example, "commit", "-q", "-m", "claim tokenizer")
    (example / "src/tally").mkdir(parents=True)
    (example / "src/tally/tokenize.py").write_text("def words(text):\n    return text.split()\n")
    git(example, "add", "-A")
    git(example, "commit", "-q", "-m", "tokenizer")
    return WorkTree(Workspace(example))


def _judge(tree: WorkTree, text: str, lenient: bool = False):
    doc = document.parse(text.format(base=base_of(tree.root)), DISPLAY)
    return [(p.line, p.code, p.severity) for p in check_document(doc, tree, lenient=lenient)]


def test_a_true_handoff_has_no_finding(tree):
    assert _judge(tree, TOKENIZER_HANDOFF) == []
    assert tree.changes(base_of(tree.root)).files == frozenset({"src/tally/tokenize.py"})


def test_artifacts_that_list_an_untouched_file_are_the_sign_of_a_degraded_session(tree):
    listed = "- src/tally/tokenize.py\n\n##"
    text = TOKENIZER_HANDOFF.replace(listed, "- src/tally/tokenize.py\n- README.md\n\n##")
    assert _judge(tree, text) == [(33, "handoff-artifacts-untouched", "error")]


def test_artifacts_that_leave_out_a_changed_file_are_found(tree):
    (tree.root / "src/tally/extra.py").write_text("X = 1\n")
    assert _judge(tree, TOKENIZER_HANDOFF) == [(30, "handoff-artifacts-missing", "error")]


def test_a_handoff_for_no_task_and_a_base_that_is_not_a_commit(tree):
    text = TOKENIZER_HANDOFF.replace("task: tokenizer", "task: ghost").replace(
        "base: {base}", "base: deadbeef"
    )
    assert _judge(tree, text) == [
        (2, "handoff-task-unknown", "error"),
        (4, "handoff-base-unknown", "error"),
    ]


def test_read_leniently_nothing_is_held_to_git(tree):
    text = TOKENIZER_HANDOFF.replace("task: tokenizer", "task: ghost")
    assert _judge(tree, text, lenient=True) == []
    assert _judge(tree, text) == [(2, "handoff-task-unknown", "error")]
