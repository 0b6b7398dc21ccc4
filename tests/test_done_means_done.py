"""Done means done: Artifacts take every path git reports, `done` refuses unfinished, empty or
uncommitted work, and check, done, the commit hook and the loop's gate agree on a task's
latest handoff."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from agentmd import precommit, worktrees
from agentmd.handoffs.latest import rule_problems
from agentmd.handoffs.reading import artifact_paths
from agentmd.loop import gate
from agentmd.workspace.folder import Workspace
from conftest import TOKENIZER_HANDOFF as HANDOFF
from conftest import base_of, cli, git


def set_verify(repo: Path, *commands: str) -> None:
    path = repo / ".agents/tasks/tokenizer.md"
    lines = "".join(f"  - {c}\n" for c in commands)
    path.write_text(
        re.sub(r"verify:\n(?:  - .*\n)+", lambda _: "verify:\n" + lines, path.read_text())
    )


@pytest.fixture
def claimed(example, monkeypatch):
    monkeypatch.setenv("AGENTMD_NOW", "2026-11-21T08:00:00Z")
    set_verify(example, "test -f src/tally/tokenize.py")
    assert cli(example, "claim", "tokenizer").exit_code == 0
    git(example, "add", "-A")
    git(example, "commit", "-q", "-m", "claim")
    return example


def work(repo: Path) -> None:
    (repo / "src/tally").mkdir(parents=True, exist_ok=True)
    (repo / "src/tally/tokenize.py").write_text("def words(text):\n    return text.split()\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "work")


def handoff(repo: Path, text: str, name: str = "2026-11-21-tokenizer.md") -> Path:
    path = repo / ".agents/handoffs" / name
    path.write_text(text.format(base=base_of(repo)))
    return path


# -- 1. Artifacts take any path git can report -------------------------------------------------


def test_artifact_entries_are_paths_whatever_their_names():
    assert artifact_paths("Makefile") == ["Makefile"]
    assert artifact_paths(".gitignore") == [".gitignore"]
    assert artifact_paths("`docs/my notes.md`") == ["docs/my notes.md"]
    assert artifact_paths("docs/résumé.txt (deleted)") == ["docs/résumé.txt"]
    assert artifact_paths("old.py -> src/new.py") == ["old.py", "src/new.py"]
    assert artifact_paths("https://example.com/x") == []


def test_handoff_new_then_check_accepts_dot_files_files_without_extension_spaces_and_renames(
    claimed,
):
    git(claimed, "mv", "README.md", "README.rst")
    for name in ("CHANGES.rst", "Makefile", ".gitignore", ".github/workflows/ci.yml",
                 "setup.py", "docs/my notes.md", "docs/résumé.txt"):  # fmt: skip
        path = claimed / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x\n")
    git(claimed, "add", "-A")
    git(claimed, "commit", "-q", "-m", "work")
    created = cli(claimed, "handoff", "new", "tokenizer")
    assert created.exit_code == 0, created.output
    text = (claimed / ".agents/handoffs/2026-11-21-tokenizer.md").read_text()
    assert "- `docs/my notes.md`\n- docs/résumé.txt\n- setup.py\n" in text
    result = cli(claimed, "handoff", "check")
    assert "handoff-artifacts" not in result.stdout
    assert "section 'Summary' still holds the template's prompt" in result.stdout


def test_hand_written_artifacts_with_renames_and_deleted_files_match_the_diff(claimed):
    git(claimed, "mv", "README.md", "README.rst")
    (claimed / "Makefile").write_text("all:\n")
    git(claimed, "add", "-A")
    git(claimed, "commit", "-q", "-m", "work")
    text = HANDOFF.replace(
        "- src/tally/tokenize.py\n", "- `README.md` -> `README.rst`\n- Makefile: the build\n"
    ).replace("Wrote `words()` in `src/tally/tokenize.py`.", "Renamed the readme.")
    text = text.replace("- `src/tally/tokenize.py`: `words(text)` splits on whitespace",
                        "- `README.rst`: renamed from `README.md`")  # fmt: skip
    text = text.replace("- `test -f src/tally/tokenize.py`: exit 0", "- `git status`: clean")
    handoff(claimed, text)
    result = cli(claimed, "handoff", "check", ".agents/handoffs/2026-11-21-tokenizer.md")
    assert result.exit_code == 0, result.output
    assert result.output == "ok: 1 file(s) checked\n"


# -- 2. done refuses unfinished, empty or uncommitted work --------------------------------------


def test_done_refuses_a_partial_handoff_with_remaining_work(claimed):
    work(claimed)
    assert cli(claimed, "verify", "tokenizer").exit_code == 0
    handoff(
        claimed,
        HANDOFF.replace("status: done", "status: partial").replace(
            "## Remaining\n\nNone\n", "## Remaining\n\n- Handle apostrophes in `words()`.\n"
        ),
    )
    result = cli(claimed, "done", "tokenizer")
    assert result.exit_code == 1
    assert result.stderr.startswith(
        ".agents/handoffs/2026-11-21-tokenizer.md:3:1: error handoff-not-done: the latest handoff "
        "says 'status: partial': the session did not finish the task\n"
        "  hint: finish the work and write a handoff with 'status: done' and Remaining 'None'\n"
        ".agents/handoffs/2026-11-21-tokenizer.md:14:1: error handoff-remaining: the latest "
        "handoff lists work under Remaining: the task is not finished\n"
    )
    assert "status: active" in (claimed / ".agents/tasks/tokenizer.md").read_text()


def test_done_refuses_when_nothing_changed_on_a_task_with_outputs(claimed):
    set_verify(claimed, "exit 0")
    git(claimed, "commit", "-qam", "verify")
    assert cli(claimed, "verify", "tokenizer").exit_code == 0
    text = HANDOFF.replace("- src/tally/tokenize.py\n", "None\n").replace(
        "- `src/tally/tokenize.py`: `words(text)` splits on whitespace", "- ran `exit 0`"
    )
    text = text.replace("- `test -f src/tally/tokenize.py`: exit 0", "- `exit 0`: exit 0")
    handoff(claimed, text.replace("Wrote `words()` in `src/tally/tokenize.py`.", "Ran `exit 0`."))
    result = cli(claimed, "done", "tokenizer")
    assert result.exit_code == 1
    assert "error done-nothing-changed: the diff from base " in result.stderr
    assert (
        "changed no file outside .agents/, and the task's outputs (src/tally/tokenize.py, "
        "tests/test_tokenize.py) say it changes files\n"
    ) in result.stderr


def test_handoff_new_on_a_task_never_claimed_asks_for_base(example):
    result = cli(example, "handoff", "new", "tokenizer")
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "agentmd: error: task 'tokenizer' has no base: it was never claimed, so nothing records "
        "the commit its work started from\n  hint: pass --base COMMIT,"
    )
    assert not list((example / ".agents/handoffs").glob("*-tokenizer.md"))
    start = git(example, "rev-parse", "HEAD").strip()
    work(example)
    given = cli(example, "handoff", "new", "tokenizer", "--base", start[:10])
    assert given.exit_code == 0, given.output
    (written,) = (example / ".agents/handoffs").glob("*-tokenizer.md")
    assert f"base: {start}\n" in written.read_text()
    wrong = cli(example, "handoff", "new", "tokenizer", "--base", "nosuchcommit")
    assert wrong.exit_code == 2
    assert "--base 'nosuchcommit' is not a commit in this repository" in wrong.stderr


def test_verify_over_uncommitted_work_does_not_count_for_done(claimed):
    (claimed / "src/tally").mkdir(parents=True)
    (claimed / "src/tally/tokenize.py").write_text("def words(text):\n    return []\n")
    assert cli(claimed, "verify", "tokenizer").exit_code == 0
    assert "verified_clean: false\n" in (claimed / ".agents/tasks/tokenizer.md").read_text()
    handoff(claimed, HANDOFF)
    result = cli(claimed, "done", "tokenizer")
    assert result.exit_code == 1
    assert result.stderr.startswith(
        ".agents/tasks/tokenizer.md:8:1: error verify-not-passed: its verify commands ran over "
        "uncommitted changes (outside .agents/), so the pass does not hold for any commit: "
        "commit the work, then run 'agentmd verify tokenizer' again\n"
    )


def test_committing_the_handoff_after_verify_does_not_ask_for_verify_again(claimed):
    work(claimed)
    assert cli(claimed, "verify", "tokenizer").exit_code == 0
    handoff(claimed, HANDOFF)
    git(claimed, "add", "-A")
    git(claimed, "commit", "-q", "-m", "handoff")
    result = cli(claimed, "done", "tokenizer")
    assert result.exit_code == 0, result.output
    assert result.stdout == "done tokenizer\n"


def test_force_still_overrides_every_refusal_and_logs_it(claimed):
    work(claimed)
    assert cli(claimed, "verify", "tokenizer").exit_code == 0
    handoff(
        claimed,
        HANDOFF.replace("status: done", "status: partial").replace(
            "## Remaining\n\nNone\n", "## Remaining\n\n- Handle apostrophes in `words()`.\n"
        ),
    )
    result = cli(claimed, "done", "tokenizer", "--force")
    assert result.exit_code == 0
    assert result.stderr.startswith("forced past: .agents/handoffs/2026-11-21-tokenizer.md:3:1:")
    log = (claimed / ".agents/memory/log.md").read_text().splitlines()[-1]
    assert log == (
        "- 2026-11-21T08:00:00Z done tokenizer: forced past 2 problem(s): the latest handoff "
        "says 'status: partial': the session did not finish the task; the latest handoff lists "
        "work under Remaining: the task is not finished"
    )


# -- 3. one rule for the latest handoff: check, done, the hook and the gate agree ---------------

BROKEN_NEWER = """\
---
task: tokenizer
status: done
base: {base}
---
## Summary

Notes.
"""


def four_answers(repo: Path) -> dict[str, list[str]]:
    """The handoffs each of check, the hook, the gate and done blames for the task (done last:
    it may mark the task done)."""
    git(repo, "add", "-A")
    rule = re.compile(r"\.agents/tasks/tokenizer\.md:\d+:1: error handoff-\w+: .* (\S+\.md) has")
    blamed = re.compile(r"^(\.agents/handoffs/\S+?\.md):\d+:\d+: error ", re.M)
    ws = Workspace.find(repo)
    answers = {
        "check": rule.findall(cli(repo, "check").stdout),
        "hook": rule.findall("\n".join(p.render() for p in precommit.staged_problems(repo))),
        "gate": sorted(set(blamed.findall("\n".join(
            gate.review_problems(ws, ws.task("tokenizer"), None, with_model=False))))),
    }  # fmt: skip
    git(repo, "commit", "-q", "--no-verify", "-m", "as judged")
    committed = precommit.CommitTree(repo, "HEAD")
    found = rule_problems(committed, "tokenizer", "review", ".agents/tasks/tokenizer.md", 3)
    answers["commit"] = rule.findall("\n".join(p.render() for p in found))
    # The gate of a task with a worktree judges its branch's commit, with the worktree left
    # dirty: what it holds uncommitted must change nothing.
    branch = git(repo, "symbolic-ref", "--short", "HEAD").strip()
    for path in (repo / ".agents/handoffs").glob("*.md"):
        path.write_text(path.read_text().replace("## Summary\n", "## Summary\n\nDid stuff.\n"))
    on_branch = worktrees.Worktree("tokenizer", repo, branch)
    answers["gate at the branch"] = sorted(set(blamed.findall("\n".join(
        gate.review_problems(ws, ws.task("tokenizer"), on_branch, with_model=False)))))
    git(repo, "checkout", "-q", "--", ".agents/handoffs")
    answers["done"] = sorted(set(blamed.findall(cli(repo, "done", "tokenizer").stderr)))
    return answers


@pytest.mark.parametrize(
    ("name", "blamed"),
    [
        ("2026-11-20-notes.md", []),  # sorts before 2026-11-21-tokenizer.md: not the latest
        ("2026-11-22-notes.md", [".agents/handoffs/2026-11-22-notes.md"]),
    ],
)
def test_check_the_hook_the_gate_a_commit_and_done_agree_on_the_latest_handoff(
    claimed, name, blamed
):
    work(claimed)
    assert cli(claimed, "verify", "tokenizer").exit_code == 0
    handoff(claimed, HANDOFF)
    handoff(claimed, BROKEN_NEWER, name)  # task: tokenizer, under a name that does not say so
    task = claimed / ".agents/tasks/tokenizer.md"
    task.write_text(task.read_text().replace("status: active", "status: review"))
    answers = four_answers(claimed)
    judges = ("check", "hook", "gate", "commit", "gate at the branch", "done")
    assert answers == dict.fromkeys(judges, blamed)
    status = "done" if not blamed else "review"
    assert f"status: {status}\n" in task.read_text()


# -- handoffs that say nothing -----------------------------------------------------------------

SAYS_NOTHING = """\
---
task: tokenizer
status: partial
base: {base}
---
## Summary

Did the work.

## Completed

- Made it work.

## Remaining

- Finish the rest.

## Decisions

- Use str.split

## Gotchas

None

## Next action

Read the notes.

## Artifacts

- src/tally/tokenize.py

## Verification

- see docs/missing/notes.md for the results
"""


def test_a_handoff_that_says_nothing_is_refused_at_each_item(claimed):
    work(claimed)
    rel = ".agents/handoffs/2026-11-21-tokenizer.md"
    handoff(claimed, SAYS_NOTHING)
    result = cli(claimed, "handoff", "check", rel)
    assert result.exit_code == 1
    vague = "  hint: name the file, function, command or error instead\n"
    assert result.stdout == (
        f"{rel}:8:1: error handoff-vague: vague: 'Did the work'\n{vague}"
        f"{rel}:12:3: error handoff-item-vague: this Completed item names nothing concrete\n"
        "  hint: name the file, function or command it changed, in backticks: "
        "`src/x.py`: `parse()` now ...\n"
        f"{rel}:12:3: error handoff-vague: vague: 'Made it work'\n{vague}"
        f"{rel}:16:3: error handoff-vague: vague: 'Finish the rest'\n{vague}"
        f"{rel}:20:3: error handoff-decision-reason: this decision gives no reason\n"
        "  hint: say why, after a colon or 'because': the next session must know what would "
        "change it\n"
        f"{rel}:36:7: error handoff-path-missing: 'docs/missing/notes.md' does not exist\n"
        "  hint: fix the path, or say where the file went\n"
    )


def test_concrete_items_and_decisions_with_reasons_pass(claimed):
    work(claimed)
    text = (
        SAYS_NOTHING.replace("- Made it work.", "- `words()` splits on whitespace")
        .replace("- Use str.split", "- Use `str.split` because nothing asks for more yet")
        .replace("- see docs/missing/notes.md for the results", "- `exit 0`: exit 0")
        .replace("Did the work.", "Wrote `words()`.")
        .replace("- Finish the rest.", "- Handle apostrophes in `words()`.")
    )
    handoff(claimed, text)
    result = cli(claimed, "handoff", "check", ".agents/handoffs/2026-11-21-tokenizer.md")
    assert result.output == "ok: 1 file(s) checked\n"


def test_an_untracked_virtualenv_is_not_uncommitted_work_but_an_untracked_module_is(claimed):
    from agentmd.tasks.verification import uncommitted

    venv = claimed / "env"  # a name no .gitignore knows: found by its pyvenv.cfg
    (venv / "lib").mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (venv / "lib/site.py").write_text("x = 1\n")
    (claimed / "node_modules/pkg").mkdir(parents=True)
    (claimed / "node_modules/pkg/index.js").write_text("1\n")
    assert uncommitted(claimed) == []
    (claimed / "src").mkdir(exist_ok=True)
    (claimed / "src/new.py").write_text("y = 2\n")
    assert uncommitted(claimed) == ["src/"]


def test_a_completed_item_naming_a_file_of_the_tree_in_plain_words_is_concrete(claimed):
    work(claimed)
    (claimed / "Makefile").write_text("test:\n\tpytest\n")
    text = SAYS_NOTHING.replace("- Made it work.", "- Updated Makefile for the release").replace(
        "- Use str.split", "- Use `str.split` because nothing asks for more yet"
    )
    text = text.replace("- see docs/missing/notes.md for the results", "- `exit 0`: exit 0")
    text = text.replace("Did the work.", "Wrote `words()`.").replace(
        "- Finish the rest.", "- Handle apostrophes in `words()`."
    )
    text = text.replace("- src/tally/tokenize.py\n", "- Makefile\n- src/tally/tokenize.py\n")
    handoff(claimed, text)
    rel = ".agents/handoffs/2026-11-21-tokenizer.md"
    assert cli(claimed, "handoff", "check", rel).output == "ok: 1 file(s) checked\n"
    (claimed / "Makefile").unlink()
    gone = cli(claimed, "handoff", "check", rel).stdout
    assert f"{rel}:12:3: error handoff-item-vague:" in gone
