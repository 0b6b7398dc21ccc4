"""The commit hook's fast paths give the answers of the slow ones: handoffs ordered newest first
by date group (only the newest groups get their keys), the staged handoff used without reading
the committed ones again, and the diff from a handoff's base asked without .agents/."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from agentmd.handoffs.latest import newest_first
from agentmd.handoffs.names import order_key
from agentmd.precommit import Staged, diffed, hook_env, staged_problems
from conftest import TOKENIZER_HANDOFF, base_of, cli, git

FOLDERS = st.sampled_from([".agents/handoffs/", ".agents/handoffs/old/", "", "a/b/"])
STEMS = st.one_of(
    st.builds(
        "{}-{}-{}{}".format,
        st.sampled_from(["2026", "2025", "0000", "2026"]),
        st.sampled_from(["01", "11", "12", "1", "011"]),
        st.sampled_from(["01", "1", "21", "210", "09"]),
        st.sampled_from(["", "-t1", "-t1-2", "-t1-10", "T093000-t1", "-x", "a", "7", ".5"]),
    ),
    st.text("0123456789-Tt.x", max_size=14),
)
NAMES = st.builds(lambda folder, stem, md: folder + stem + md, FOLDERS, STEMS, st.sampled_from(
    [".md", ".md", ""]
))  # fmt: skip


@given(st.lists(NAMES, max_size=40))
def test_newest_first_is_the_order_of_sorting_every_name(paths):
    # Equal keys (`01` and `1`, one name in two folders) keep the order they were given in.
    assert list(newest_first(paths)) == sorted(paths, key=order_key, reverse=True)


def test_only_the_newest_date_gets_its_keys_when_only_the_newest_are_read():
    paths = [f".agents/handoffs/1999-{m:02d}-{d:02d}-only-here.md" for m in (1, 2) for d in (1, 2)]
    paths += [f".agents/handoffs/1999-03-01-only-here-{n}.md" for n in (2, 10, 1)]
    order_key.cache_clear()
    newest = newest_first(paths)
    assert [next(newest), next(newest)] == [paths[5], paths[4]]  # -10 after -2: by value
    assert order_key.cache_info().currsize == 3  # the three of 1999-03-01, none older
    assert list(newest) == [paths[6], *reversed(paths[:4])]


def _claimed(example: Path) -> str:
    assert cli(example, "claim", "tokenizer").exit_code == 0
    (example / "src/tally").mkdir(parents=True)
    (example / "src/tally/tokenize.py").write_text("def words(text):\n    return text.split()\n")
    git(example, "add", "-A")
    git(example, "commit", "-q", "-m", "claim tokenizer")
    return base_of(example)


def _stage_done(example: Path, handoffs: dict[str, str]) -> None:
    """The tokenizer task staged as done, with these handoffs (name -> text) staged."""
    task = example / ".agents/tasks/tokenizer.md"
    task.write_text(task.read_text().replace("status: active", "status: done"))
    for name, text in handoffs.items():
        (example / ".agents/handoffs" / name).write_text(text)
    git(example, "add", "-A")


def _git_calls(trace: Path) -> list[str]:
    lines = trace.read_text().splitlines() if trace.exists() else []
    return [line.split("built-in: git ", 1)[1].split()[0] for line in lines if "built-in: " in line]


def _codes(found) -> list[tuple[str, str]]:
    return [(p.path, p.code) for p in found]


INVALID = TOKENIZER_HANDOFF.replace("## Next action\n\nStart `counter`.\n\n", "")


def test_the_latest_is_by_name_not_date_and_a_valid_older_one_does_not_count(example):
    base = _claimed(example)
    # -10 sorts after -2 (numbers by value), and an undated name after every dated one.
    _stage_done(
        example,
        {
            "2026-11-21-tokenizer-2.md": TOKENIZER_HANDOFF.format(base=base),
            "2026-11-21-tokenizer-10.md": INVALID.format(base=base),
        },
    )
    found = staged_problems(example)
    latest = ".agents/handoffs/2026-11-21-tokenizer-10.md"
    assert _codes(found) == [
        (latest, "handoff-section-missing"),
        (".agents/tasks/tokenizer.md", "handoff-invalid"),
    ]
    assert latest in found[1].message and "-tokenizer-2.md" not in found[1].message
    (example / ".agents/handoffs/session-tokenizer.md").write_text(
        TOKENIZER_HANDOFF.format(base=base)
    )
    git(example, "add", "-A")
    assert _codes(staged_problems(example)) == [(latest, "handoff-section-missing")]


def test_a_staged_handoff_that_is_the_newest_is_not_read_again(example, monkeypatch, tmp_path):
    base = _claimed(example)
    for day in range(1, 6):  # older handoffs of other tasks, committed
        (example / f".agents/handoffs/2026-11-0{day}-other.md").write_text(
            f"---\ntask: counter\nbase: {base}\n---\n## Summary\n\nx\n"
        )
    git(example, "add", "-A")
    git(example, "commit", "-q", "-m", "older handoffs")
    _stage_done(example, {"2026-11-21-tokenizer.md": TOKENIZER_HANDOFF.format(base=base)})
    trace = tmp_path / "trace"
    monkeypatch.setenv("GIT_TRACE", str(trace))
    assert staged_problems(example) == []
    # The staged files, then the task's depends_on: none of the committed handoffs.
    assert _git_calls(trace) == ["diff", "cat-file", "diff", "merge-base", "ls-files", "cat-file"]


def test_a_committed_latest_handoff_is_read_from_the_index(example, monkeypatch, tmp_path):
    base = _claimed(example)
    _stage_done(example, {"2026-11-21-tokenizer.md": TOKENIZER_HANDOFF.format(base=base)})
    git(example, "commit", "-q", "--no-verify", "-m", "done")
    task = example / ".agents/tasks/tokenizer.md"
    task.write_text(task.read_text() + "\nReviewed again.\n")
    git(example, "add", "-A")
    trace = tmp_path / "trace"
    monkeypatch.setenv("GIT_TRACE", str(trace))
    assert staged_problems(example) == []
    # The staged task, its depends_on, the handoffs listed, the newest read, the latest judged.
    assert _git_calls(trace) == [
        "diff", "cat-file", "cat-file", "ls-files", "cat-file", "log", "diff", "merge-base",
        "ls-files",
    ]  # fmt: skip
    git(example, "rm", "-q", "--cached", ".agents/handoffs/2026-11-21-tokenizer.md")
    assert _codes(staged_problems(example)) == [(".agents/tasks/tokenizer.md", "handoff-missing")]


def test_no_handoff_for_the_staged_task_among_others_is_refused(example):
    base = _claimed(example)
    _stage_done(
        example,
        {
            f"2026-11-2{n}-counter.md": f"---\ntask: counter\nbase: {base}\n---\n## Summary\n\nx\n"
            for n in range(10)
        },
    )
    found = [p for p in staged_problems(example) if p.path.endswith("tokenizer.md")]
    assert _codes(found) == [(".agents/tasks/tokenizer.md", "handoff-missing")]
    assert found[0].message == (
        "task 'tokenizer' is staged as done but no handoff for it is staged or committed"
    )


def test_the_diff_from_base_leaves_out_agents_whatever_the_pathspec_settings(example, monkeypatch):
    base = _claimed(example)
    for path in ("src/a.py", ".agentsx/kept.md", ".agents/memory/left-out.md"):
        (example / path).parent.mkdir(parents=True, exist_ok=True)
        (example / path).write_text("x\n")
    git(example, "add", "-A")
    monkeypatch.setenv("GIT_LITERAL_PATHSPECS", "1")
    monkeypatch.setenv("GIT_ICASE_PATHSPECS", "1")
    changes = Staged(example, hook_env()).changes(base)
    assert changes is not None
    assert changes.files == frozenset({"src/a.py", ".agentsx/kept.md", "src/tally/tokenize.py"})
    assert changes.deleted == frozenset()


def test_what_the_commit_stages_exists_without_asking_git(example, monkeypatch, tmp_path):
    (example / "src/new").mkdir(parents=True)
    (example / "src/new/staged.py").write_text("x = 1\n")
    (example / "unstaged.py").write_text("y = 1\n")
    git(example, "add", "src/new/staged.py")
    paths = ["src/new/staged.py", "src/new", "src", "README.md", ".agents", "unstaged.py", "src/ne"]
    slow = Staged(example, hook_env())  # nothing known staged: every path asked of ls-files
    expected = {"src/new/staged.py", "src/new", "src", "README.md", ".agents"}
    assert slow.existing(paths) == expected
    trace = tmp_path / "trace"
    monkeypatch.setenv("GIT_TRACE", str(trace))
    fast = Staged(example, hook_env())
    fast.indexed = ("src/new/staged.py",)  # what staged_problems learns from git diff --cached
    assert fast.existing(paths) == expected
    assert fast.handoffs() == slow.handoffs() == [".agents/handoffs/2026-11-16-package-skeleton.md"]
    assert _git_calls(trace) == ["ls-files"]  # the handoffs listed with the rest in one call
    assert "src/new/staged.py" not in trace.read_text() and "README.md" in trace.read_text()


def test_the_staged_diff_gives_each_changed_blob_and_the_rest_is_read_as_head_holds_it(
    example, monkeypatch, tmp_path
):
    (example / ".agents/tasks/new.md").write_text("---\ntitle: New\nstatus: todo\n---\n")
    git(example, "mv", "README.md", "READ.md")  # a rename: the old name deleted, the new added
    git(example, "rm", "-q", "--cached", ".agents/memory/log.md")
    git(example, "add", ".agents/tasks/new.md")
    (example / ".agents/plan.md").write_text("changed, not staged\n")
    raw = git(example, "diff", "--cached", "--raw", "--no-renames", "--no-abbrev", "-z")
    found = diffed(raw)
    assert found[".agents/memory/log.md"] is None and found["README.md"] is None
    assert found["READ.md"] == git(example, "rev-parse", ":READ.md").strip()
    assert set(found) == {".agents/memory/log.md", "README.md", "READ.md", ".agents/tasks/new.md"}
    trace = tmp_path / "trace"
    monkeypatch.setenv("GIT_TRACE", str(trace))
    staged = staged_problems(example)
    assert staged == []
    assert _git_calls(trace) == ["diff", "cat-file"]  # the new task's depends_on: none
    # The same answers as reading every path from the index, one by one.
    by_index = Staged(example, hook_env())
    fast = Staged(example, hook_env())
    fast.diffed, fast.rev = found, "HEAD"
    paths = [".agents/plan.md", ".agents/memory/log.md", "README.md", "READ.md",
             ".agents/tasks/new.md", ".agents/tasks/tokenizer.md", "nowhere.md"]  # fmt: skip
    fast.read(paths)
    assert [fast.show(p) for p in paths] == [by_index.show(p) for p in paths]
    assert fast.show(".agents/memory/log.md") is None and fast.show("READ.md") == "# repo\n"
    assert fast.show(".agents/plan.md") != "changed, not staged\n"


def test_a_first_commit_has_no_head_and_is_read_from_its_blobs(tmp_path):
    repo = tmp_path / "fresh"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / ".agents/tasks").mkdir(parents=True)
    (repo / ".agents/plan.md").write_text("---\ntitle: Plan\n---\n")
    (repo / ".agents/tasks/a.md").write_text("---\ntitle: [broken\nstatus: todo\n---\n")
    # A task it depends on that is nowhere: read as HEAD:path, which a first commit has not.
    (repo / ".agents/tasks/b.md").write_text(
        "---\ntitle: B\nstatus: todo\ndepends_on: [ghost]\n---\n"
    )
    git(repo, "add", "-A")
    found = [(p.path, p.code) for p in staged_problems(repo)]
    slow = Staged(repo, hook_env())  # every path from the index
    assert slow.show(".agents/tasks/ghost.md") is None and slow.show(".agents/plan.md")
    assert found == [(".agents/tasks/a.md", "yaml"), (".agents/tasks/b.md", "dangling-dependency")]
