"""precommit.Staged on its own: the index as the commit will record it, read through git, and
the handoff checks held to the staged diff rather than to the working tree."""

from __future__ import annotations

from agentmd.files import document
from agentmd.precommit import Staged, hook_env, staged_problems
from conftest import TOKENIZER_HANDOFF, base_of, cli, git

HANDOFF = ".agents/handoffs/2026-11-21-tokenizer.md"


def _claimed(example):
    assert cli(example, "claim", "tokenizer").exit_code == 0
    git(example, "add", "-A")
    git(example, "commit", "-q", "-m", "claim tokenizer")
    return base_of(example)


def test_show_reads_the_staged_blob_not_the_working_file(example):
    (example / "notes.md").write_text("staged\n")
    git(example, "add", "notes.md")
    (example / "notes.md").write_text("changed after git add\n")
    tree = Staged(example, hook_env())
    assert tree.show("notes.md") == "staged\n"
    assert tree.show("not-there.md") is None
    tree.read(["notes.md", "README.md"])  # one cat-file --batch for several
    assert tree.show("README.md") == "# repo\n"


def test_changes_are_the_staged_diff_from_base_and_exclude_the_agents_folder(example):
    base = _claimed(example)
    (example / "src").mkdir()
    (example / "src/a.py").write_text("A = 1\n")
    (example / "src/unstaged.py").write_text("B = 1\n")
    (example / ".agents/memory/log.md").write_text("changed\n")
    git(example, "add", "src/a.py", ".agents/memory/log.md")
    tree = Staged(example, hook_env())
    changes = tree.changes(base)
    assert changes is not None and changes.files == frozenset({"src/a.py"})
    assert "src/unstaged.py" not in changes.files
    assert tree.changes("not-a-commit") is None
    assert tree.describe(base) == f"the staged diff from base {base[:12]}"


def test_existing_and_task_exists_answer_from_the_index(example):
    tree = Staged(example, hook_env())
    assert tree.existing(["README.md", "src/nowhere.py"]) == {"README.md"}
    assert tree.task_exists("tokenizer") and not tree.task_exists("ghost")
    assert tree.handoffs() == [".agents/handoffs/2026-11-16-package-skeleton.md"]


def test_a_staged_handoff_is_held_to_the_staged_diff(example):
    base = _claimed(example)
    (example / "src/tally").mkdir(parents=True)
    (example / "src/tally/tokenize.py").write_text("def words(text):\n    return text.split()\n")
    handoff = example / HANDOFF
    handoff.write_text(TOKENIZER_HANDOFF.format(base=base))
    git(example, "add", HANDOFF)  # the work itself is not staged
    tree = Staged(example, hook_env())
    tree.staged = {HANDOFF}
    doc = document.parse(tree.show(HANDOFF) or "", HANDOFF)
    found = [(p.line, p.code) for p in tree.check(HANDOFF, doc)]
    # the path it names is not in the index, and the staged diff does not touch it
    assert found == [(8, "handoff-path-missing"), (32, "handoff-artifacts-untouched")]
    git(example, "add", "src/tally/tokenize.py")
    assert Staged(example, hook_env()).check(HANDOFF, doc) == []


def test_staged_problems_looks_only_at_staged_agents_files(example):
    (example / ".agents/tasks/broken.md").write_text("---\ntitle: [unclosed\n---\n")
    assert staged_problems(example) == []  # nothing staged yet
    git(example, "add", ".agents/tasks/broken.md")
    found = staged_problems(example)
    assert [(p.path, p.code) for p in found] == [(".agents/tasks/broken.md", "yaml")]
