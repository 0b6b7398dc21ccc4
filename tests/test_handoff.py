"""Handoffs: `handoff new` pre-fills from git; `handoff check` finds what is incomplete, vague or
untrue, each finding at its line."""

from __future__ import annotations

import pytest

from conftest import CORPUS, base_of, cli, git

GOOD = """\
---
task: tokenizer
status: done
base: {base}
---
## Summary

Wrote `words()` in `src/tally/tokenize.py`. It case-folds and keeps inner apostrophes.

## Completed

- `src/tally/tokenize.py`: `words(text)` returns the case-folded words

## Remaining

None

## Decisions

- A regular expression, not a hand-written scanner: `\\w` already covers every script.

## Gotchas

None

## Next action

Start `counter`: write `src/tally/count.py`.

## Artifacts

- src/tally/tokenize.py

## Verification

- `python -m pytest tests/test_tokenize.py -q`: 4 passed
"""


@pytest.fixture
def worked(example):
    """The example with task tokenizer claimed, and its work committed."""
    assert cli(example, "claim", "tokenizer").exit_code == 0
    git(example, "add", "-A")
    git(example, "commit", "-q", "-m", "claim tokenizer")
    (example / "src/tally").mkdir(parents=True)
    (example / "src/tally/tokenize.py").write_text("def words(text):\n    return text.split()\n")
    (example / "tests").mkdir()
    (example / "tests/test_tokenize.py").write_text("def test_words():\n    pass\n")
    git(example, "add", "-A")
    git(example, "commit", "-q", "-m", "tokenizer")
    return example


def write_handoff(repo, text, name="2026-11-20-tokenizer.md"):
    path = repo / ".agents/handoffs" / name
    path.write_text(text.format(base=base_of(repo)))
    return f".agents/handoffs/{name}"


def check(repo, *args):
    return cli(repo, "handoff", "check", *args)


def test_a_complete_true_handoff_passes(worked):
    text = GOOD.replace(
        "- src/tally/tokenize.py\n", "- src/tally/tokenize.py\n- tests/test_tokenize.py\n"
    )
    rel = write_handoff(worked, text)
    result = check(worked, rel)
    assert result.stdout == ""
    assert result.stderr == "ok: 1 file(s) checked\n"
    assert result.exit_code == 0


def test_artifacts_that_the_diff_does_not_touch_are_the_sign_of_a_degraded_session(worked):
    text = GOOD.replace(
        "- src/tally/tokenize.py\n", "- src/tally/tokenize.py\n- src/tally/cli.py\n- README.md\n"
    )
    rel = write_handoff(worked, text)
    result = check(worked, rel)
    base = base_of(worked)[:12]
    assert result.exit_code == 1
    assert result.stdout == (
        f"{rel}:30:1: error handoff-artifacts-missing: Artifacts "
        "leaves out 1 file(s) that the diff from base "
        f"{base} to the working tree changed: tests/test_tokenize.py\n"
        "  hint: list every changed file under ## Artifacts "
        "('agentmd handoff new' fills it from git)\n"
        f"{rel}:33:1: error handoff-artifacts-untouched: "
        "Artifacts lists 'src/tally/cli.py', which the diff from "
        f"base {base} to the working tree does not touch\n"
        "  hint: a handoff that claims files the diff does "
        "not touch is the sign of a degraded session: "
        f"compare with `git diff --name-only {base}` and write what was really done\n"
        f"{rel}:33:1: error handoff-path-missing: 'src/tally/cli.py' does not exist\n"
        "  hint: fix the path, or say where the file went\n"
        f"{rel}:34:1: error handoff-artifacts-untouched: "
        "Artifacts lists 'README.md', which the diff from "
        f"base {base} to the working tree does not touch\n"
        "  hint: a handoff that claims files the diff does "
        "not touch is the sign of a degraded session: "
        f"compare with `git diff --name-only {base}` and write what was really done\n"
    )


def test_an_artifact_outside_the_repository_is_an_error_where_it_stands(worked):
    # (they were dropped without a word: a handoff could claim /etc/passwd and pass)
    text = GOOD.replace(
        "- src/tally/tokenize.py\n",
        "- src/tally/tokenize.py\n- tests/test_tokenize.py\n- /no/such/file\n"
        "- `../../etc/passwd`\n- ~/notes.md\n- src/../../elsewhere.py\n",
    )
    rel = write_handoff(worked, text)
    result = check(worked, rel)
    assert result.exit_code == 1
    hint = "  hint: list the files the work changed, by their paths from the repository's root\n"
    assert result.stdout == "".join(
        f"{rel}:{line}:1: error handoff-artifact-outside: Artifacts lists '{path}', which is "
        f"outside the repository: no diff of the work holds it\n{hint}"
        for line, path in [
            (34, "/no/such/file"),
            (35, "../../etc/passwd"),
            (36, "~/notes.md"),
            (37, "src/../../elsewhere.py"),
        ]
    )


def committed(repo, files: dict[str, str]) -> None:
    """`files` (path -> text) written and committed."""
    for rel, text in files.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "files")


def listing(*more: str) -> str:
    """GOOD with its test file and `more` listed under Artifacts too."""
    listed = "".join(f"- {path}\n" for path in ("tests/test_tokenize.py", *more))
    return GOOD.replace("- src/tally/tokenize.py\n", "- src/tally/tokenize.py\n" + listed)


def test_a_folder_named_etc_is_no_vague_etc(worked):
    committed(worked, {"etc/app.ini": "[app]\n", "docs/stuff.md": "# Stuff\n"})
    text = listing("etc/app.ini", "docs/stuff.md").replace(
        "case-folded words\n", "case-folded words\n- etc/app.ini: the app's section\n"
    )
    rel = write_handoff(worked, text)
    result = check(worked, rel)
    assert result.stdout == "" and result.exit_code == 0, result.stdout


def test_a_path_git_ignores_is_no_claim_of_a_file_but_a_missing_one_still_is(worked):
    # (a handoff could not say what its .gitignore change ignores: `.venv-trial/` "did not
    # exist")
    committed(worked, {".gitignore": ".venv-trial/\nbuild/\n"})
    text = listing(".gitignore").replace(
        "case-folded words\n",
        "case-folded words\n- `.gitignore`: ignores `.venv-trial/` and `build/`, not "
        "`src/tally/gone/`\n",
    )
    rel = write_handoff(worked, text)
    result = check(worked, rel)
    assert result.stdout == (
        f"{rel}:13:59: error handoff-path-missing: 'src/tally/gone/' does not exist\n"
        "  hint: fix the path, or say where the file went\n"
    )


def test_vague_phrases_are_flagged_where_they_stand(worked):
    text = GOOD.replace(
        "- `src/tally/tokenize.py`: `words(text)` returns the case-folded words\n",
        "- Fixed some issues in the tokenizer, etc.\n- It should work now, as discussed.\n",
    ).replace("- src/tally/tokenize.py\n", "- src/tally/tokenize.py\n- tests/test_tokenize.py\n")
    rel = write_handoff(worked, text)
    result = check(worked, rel)
    vague = [line for line in result.stdout.splitlines() if "handoff-vague" in line]
    assert vague == [
        f"{rel}:12:9: error handoff-vague: vague: 'some issues'",
        f"{rel}:12:39: error handoff-vague: vague: 'etc.'",
        f"{rel}:13:6: error handoff-vague: vague: 'should work'",
        f"{rel}:13:23: error handoff-vague: vague: 'as discussed'",
    ]
    assert "  hint: name the file, function, command or error instead" in result.stdout


def test_vague_words_inside_code_are_not_flagged(worked):
    text = GOOD.replace(
        "- src/tally/tokenize.py\n", "- src/tally/tokenize.py\n- tests/test_tokenize.py\n"
    )
    text = text.replace(
        "## Gotchas\n\nNone\n",
        "## Gotchas\n\n```text\nsome issues etc.\n```\n\nThe flag `--etc` stays.\n",
    )
    result = check(worked, write_handoff(worked, text))
    assert result.exit_code == 0 and result.stderr == "ok: 1 file(s) checked\n", result.stdout
    assert "handoff-vague" not in result.stdout, result.stdout


def test_an_incomplete_handoff_names_each_missing_or_empty_section(worked):
    text = """\
---
task: tokenizer
status: partial
base: {base}
---
## Summary

One. Two. Three. Four. Five sentences is too many.

## Completed

- `src/tally/tokenize.py`: `words(text)`

## Remaining

None

## Next action

## Artifacts

- src/tally/tokenize.py
- tests/test_tokenize.py

## Verification

None
"""
    rel = write_handoff(worked, text)
    result = check(worked, rel)
    assert result.exit_code == 1
    assert result.stdout == (
        f"{rel}:6:1: error handoff-section-missing: section 'Decisions' is missing\n"
        "  hint: add '## Decisions': each decision with its rationale.\n"
        f"{rel}:6:1: error handoff-section-missing: section 'Gotchas' is missing\n"
        "  hint: add '## Gotchas': traps the next session should know about, or \"None\".\n"
        f"{rel}:6:1: error handoff-summary-long: the summary "
        "has 5 sentences; at most 4 keep it a summary\n"
        "  hint: move details to Completed, Decisions or Gotchas\n"
        f"{rel}:14:1: error handoff-none: 'None' is not a true "
        "answer for 'Remaining' while the status is not done\n"
        "  hint: list what is left, each item actionable; 'None' only when the status is done\n"
        f"{rel}:18:1: error handoff-section-empty: section 'Next action' is empty\n"
        "  hint: The one thing the next session does first.\n"
        f"{rel}:25:1: error handoff-none: 'None' is not a true answer for 'Verification' here\n"
        "  hint: list the commands run and their results\n"
    )


def test_front_matter_truth_unknown_task_and_a_base_that_is_not_an_ancestor(worked):
    git(worked, "checkout", "-q", "-b", "side", "HEAD~2")
    (worked / "side.txt").write_text("side\n")
    git(worked, "add", "side.txt")
    git(worked, "commit", "-q", "-m", "side")
    side = git(worked, "rev-parse", "HEAD").strip()
    git(worked, "checkout", "-q", "main")
    text = GOOD.replace("task: tokenizer", "task: tokeniser").replace(
        "status: done", "status: finished"
    )
    path = worked / ".agents/handoffs/2026-11-20-x.md"
    path.write_text(text.replace("{base}", side))
    result = check(worked, ".agents/handoffs/2026-11-20-x.md")
    rel = ".agents/handoffs/2026-11-20-x.md"
    assert (
        f"{rel}:2:1: error handoff-task-unknown: task 'tokeniser' does not exist\n" in result.stdout
    )
    assert (
        f"{rel}:3:1: error handoff-status: status 'finished' "
        "is not one of done, partial, blocked, failed\n"
        in result.stdout
    )
    assert (
        f"{rel}:4:1: error handoff-base-not-ancestor: base {side[:12]} is not an ancestor of HEAD\n"
        in result.stdout
    )


def test_a_named_path_that_the_diff_deleted_is_fine(worked):
    git(worked, "rm", "-q", "README.md")
    text = GOOD.replace(
        "- src/tally/tokenize.py\n",
        "- README.md (deleted)\n- src/tally/tokenize.py\n- tests/test_tokenize.py\n",
    )
    text = text.replace("## Gotchas\n\nNone\n", "## Gotchas\n\nThe old `README.md` is gone.\n")
    result = check(worked, write_handoff(worked, text))
    assert result.exit_code == 0, result.stdout


def test_a_foreign_handoff_maps_its_headings_by_synonyms_leniently(worked, tmp_path):
    foreign = tmp_path / "HANDOFF.md"
    foreign.write_text(
        "# Session handoff\n\n## Current State\n\nThe parser "
        "works.\n\n## Next Steps\n\n1. Write the CLI.\n\n"
        "## Known Issues\n\n- Fixed some issues with "
        "unicode.\n\n## Files Changed\n\n- src/parser.py\n"
    )
    result = check(worked, str(foreign))
    assert result.exit_code == 0
    assert result.stdout == (
        f"{foreign}:1:1: warning handoff-section-missing: section 'Completed' is missing\n"
        "  hint: add '## Completed': each item concrete: the "
        "file, function or command, and what it does now.\n"
        f"{foreign}:1:1: warning handoff-section-missing: section 'Decisions' is missing\n"
        "  hint: add '## Decisions': each decision with its rationale.\n"
        f"{foreign}:1:1: warning handoff-section-missing: section 'Remaining' is missing\n"
        "  hint: add '## Remaining': each item actionable, or \"None\" when the task is done.\n"
        f"{foreign}:1:1: warning handoff-section-missing: section 'Verification' is missing\n"
        "  hint: add '## Verification'\n"
        f"{foreign}:13:9: warning handoff-vague: vague: 'some issues'\n"
        "  hint: name the file, function, command or error instead\n"
    )


def test_handoff_new_prefills_task_base_artifacts_and_verification(worked, monkeypatch):
    monkeypatch.setenv("AGENTMD_NOW", "2026-11-21T09:30:00Z")
    task = worked / ".agents/tasks/tokenizer.md"
    task.write_text(
        task.read_text().replace(
            "  - python -m pytest tests/test_tokenize.py -q\n",
            "  - test -f src/tally/tokenize.py\n  - printf 'one\\ntwo\\n'; exit 3\n",
        )
    )
    (worked / "src/tally/extra.py").write_text("X = 1\n")  # untracked: still part of the work
    (worked / "README.md").write_text("# changed\n")  # uncommitted
    result = cli(worked, "handoff", "new", "tokenizer", "--run")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[:3] == [
        "created .agents/handoffs/2026-11-21-tokenizer.md",
        f"  4 artifact(s) from git (base {base_of(worked)[:12]})",
        "  verify FAILED: exit 0, exit 3",
    ]
    text = (worked / ".agents/handoffs/2026-11-21-tokenizer.md").read_text()
    head = git(worked, "rev-parse", "HEAD").strip()
    assert text.startswith(
        f"---\ntask: tokenizer\nstatus: partial\nbase: {base_of(worked)}\n---\n## Summary\n\n"
    )
    assert (
        "## Artifacts\n\n- README.md\n- src/tally/extra.py\n- "
        "src/tally/tokenize.py\n- tests/test_tokenize.py\n"
        in text
    )
    assert text.endswith(
        "## Verification\n\n- `test -f src/tally/tokenize.py`: "
        "exit 0\n- `printf 'one\\ntwo\\n'; exit 3`: exit 3\n\n"
        "  ```text\n  one\n  two\n  ```\n\n"
        f"Run by `agentmd handoff new --run` at {head[:12]}, 2026-11-21T09:30:00Z.\n"
    )
    # the prompts left as written are findings: the draft is not a handoff yet
    out = check(worked).stdout
    assert (
        ".agents/handoffs/2026-11-21-tokenizer.md:7:1: error handoff-section-unfilled: "
        "section 'Summary' still holds the template's prompt\n"
        in out
    )


def test_a_second_handoff_the_same_day_sorts_after_the_first(worked, monkeypatch):
    monkeypatch.setenv("AGENTMD_NOW", "2026-11-21T09:30:05Z")
    assert cli(worked, "handoff", "new", "tokenizer").exit_code == 0
    second = cli(worked, "handoff", "new", "tokenizer")
    assert second.stdout.startswith("created .agents/handoffs/2026-11-21T093005-tokenizer.md\n")
    assert (
        sorted(p.name for p in (worked / ".agents/handoffs").glob("*tokenizer*"))[-1]
        == "2026-11-21T093005-tokenizer.md"
    )


def test_handoff_check_with_no_paths_checks_every_handoff(worked):
    write_handoff(worked, GOOD)
    result = check(worked)
    assert result.exit_code == 1
    assert result.stderr == "1 error(s), 4 warning(s) in 2 file(s) checked\n"


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the corpus is not here (../shared/corpus)")
def test_every_handoff_in_the_corpus_is_read_leniently_without_a_crash(worked):
    files = sorted(str(p) for p in (CORPUS / "handoffs").iterdir() if p.suffix == ".md")
    result = check(worked, *files)
    assert result.exit_code == 0, result.output  # foreign files: warnings only
    assert "internal error" not in result.output
    assert result.stderr.endswith(f"in {len(files)} file(s) checked\n")
    assert ": error " not in result.stdout


def test_a_committed_handoff_is_held_to_its_own_commit_as_work_goes_on(worked):
    text = GOOD.replace(
        "- src/tally/tokenize.py\n", "- src/tally/tokenize.py\n- tests/test_tokenize.py\n"
    )
    write_handoff(worked, text)
    git(worked, "add", "-A")
    git(worked, "commit", "-q", "-m", "handoff")
    (worked / "src/tally/count.py").write_text(
        "def top(text, n):\n    return []\n"
    )  # the next task's work
    git(worked, "add", "-A")
    git(worked, "commit", "-q", "-m", "counter")
    result = check(worked, ".agents/handoffs/2026-11-20-tokenizer.md")
    assert result.exit_code == 0, result.stdout
    memo = (worked / ".agents/.cache/handoff-truth.json").read_text()
    assert f"diff {base_of(worked)} {git(worked, 'rev-parse', 'HEAD~1').strip()}" in memo
    assert (
        check(worked, ".agents/handoffs/2026-11-20-tokenizer.md").exit_code == 0
    )  # from the cache


def test_a_committed_handoff_that_claims_untouched_files_is_still_found(worked):
    rel = write_handoff(
        worked,
        GOOD.replace(
            "- src/tally/tokenize.py\n",
            "- src/tally/tokenize.py\n- tests/test_tokenize.py\n- README.md\n",
        ),
    )
    git(worked, "add", "-A")
    git(worked, "commit", "-q", "-m", "handoff")
    commit = git(worked, "rev-parse", "HEAD").strip()
    out = check(worked, rel).stdout
    assert (
        f"{rel}:34:1: error handoff-artifacts-untouched: "
        "Artifacts lists 'README.md', which the diff from base "
        f"{base_of(worked)[:12]} to commit {commit[:12]} "
        "(the last to touch this handoff) does not touch\n"
    ) in out


def test_handoff_check_of_a_file_outside_any_workspace_is_lenient(tmp_path):
    note = tmp_path / "SESSION.md"
    note.write_text("## Summary\n\nDid various fixes.\n")
    result = check(tmp_path, str(note))
    assert result.exit_code == 0
    assert f"{note}:3:5: warning handoff-vague: vague: 'various fixes'\n" in result.stdout


def test_in_a_shallow_clone_a_base_out_of_reach_is_a_warning(worked, tmp_path):
    text = GOOD.replace(
        "- src/tally/tokenize.py\n", "- src/tally/tokenize.py\n- tests/test_tokenize.py\n"
    )
    rel = write_handoff(worked, text)
    git(worked, "add", "-A")
    git(worked, "commit", "-q", "-m", "handoff")
    clone = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{worked}", str(clone))
    result = check(clone, rel)
    assert result.exit_code == 0, result.stdout
    assert result.stdout.startswith(
        f"{rel}:4:1: warning handoff-base-unknown: base "
        f"'{base_of(worked)}' is not in this shallow clone: "
        "the truth checks cannot run\n"
        "  hint: fetch the history (git fetch --unshallow; in GitHub Actions, fetch-depth: 0)\n"
    )


def test_a_check_remembers_readings_by_content_and_sees_every_edit(worked):
    text = GOOD.replace(
        "- src/tally/tokenize.py\n", "- src/tally/tokenize.py\n- tests/test_tokenize.py\n"
    )
    rel = write_handoff(worked, text)
    assert cli(worked, "check").exit_code == 0
    shards = sorted((worked / ".agents/.cache/handoff-readings").iterdir())
    blob = git(worked, "hash-object", rel).strip()
    assert f"{blob[0]}.json" in [shard.name for shard in shards]  # kept by the blob id
    path = worked / rel
    path.write_text(
        path.read_text().replace("It case-folds", "It case-folds, etc.")
    )  # the same second
    out = cli(worked, "check").stdout
    assert f"{rel}:8:60: error handoff-vague: vague: 'etc.'" in out
    for shard in shards:
        shard.write_bytes(b"\x00 not json")
    assert (
        "handoff-vague" in cli(worked, "check").stdout
    )  # a broken cache costs time, never a finding


def test_the_latest_handoff_is_the_last_written_by_its_name(worked):
    """`-2` follows the first of a day, `-10` follows `-2`, a timed name follows both."""
    from agentmd.handoffs.names import order_key

    names = [
        "2026-11-22-x-10.md",
        "2026-11-22T101500-x.md",
        "2026-11-22-x.md",
        "2026-11-21T235959-x.md",
        "2026-11-22-x-2.md",
    ]
    assert sorted(names, key=order_key) == [
        "2026-11-21T235959-x.md",
        "2026-11-22-x.md",
        "2026-11-22-x-2.md",
        "2026-11-22-x-10.md",
        "2026-11-22T101500-x.md",
    ]
    text = GOOD.replace(
        "- src/tally/tokenize.py\n", "- src/tally/tokenize.py\n- tests/test_tokenize.py\n"
    )
    write_handoff(worked, text, name="2026-11-20-tokenizer.md")
    write_handoff(
        worked,
        text.replace("hand-written scanner", "hand-written one"),
        name="2026-11-20-tokenizer-2.md",
    )
    assert cli(worked, "done", "tokenizer", "--force").exit_code == 0
    prompt = cli(worked, "next").stdout
    assert "From `.agents/handoffs/2026-11-20-tokenizer-2.md`:" in prompt
    assert "not a hand-written one" in prompt


def test_a_file_next_action_names_must_exist_or_be_a_tasks_output(worked):
    good = GOOD.replace(
        "- src/tally/tokenize.py\n", "- src/tally/tokenize.py\n- tests/test_tokenize.py\n"
    )
    rel = write_handoff(worked, good)  # names src/tally/count.py: counter's output, to be made
    assert check(worked).exit_code == 0
    typo = good.replace("write `src/tally/count.py`.", "write `src/tally/counts.py`.")
    rel = write_handoff(worked, typo)
    line = typo.splitlines().index("Start `counter`: write `src/tally/counts.py`.") + 1
    result = check(worked)
    assert result.exit_code == 1
    assert (
        f"{rel}:{line}:25: error handoff-path-missing: 'src/tally/counts.py' does not exist, "
        "and no task lists it among its outputs\n"
        "  hint: fix the path, or add it to the outputs of the task that will create it\n"
    ) in result.stdout
    plain = good.replace("write `src/tally/count.py`.", "read src/tally/tokenize.py again.")
    write_handoff(worked, plain)  # a plain-text path that exists
    assert check(worked).exit_code == 0
    gone = good.replace("write `src/tally/count.py`.", "read docs/nowhere.md first.")
    rel = write_handoff(worked, gone)  # a plain-text path, neither there nor planned
    assert f"{rel}:{line}:23: error handoff-path-missing: 'docs/nowhere.md'" in check(worked).stdout


def test_git_is_asked_which_paths_it_ignores_once_a_check_and_never_of_a_file_to_be_written(
    worked, monkeypatch
):
    # (from review: a `git check-ignore` per handoff, even for the file a Remaining names and a
    # task will write: 2 ms a handoff)
    from agentmd import git as agentmd_git

    committed(worked, {".gitignore": "build/\n"})
    text = listing(".gitignore")
    asked = []
    run = agentmd_git.run

    def counted(args, *rest, **kwargs):
        asked.append(args[0])
        return run(args, *rest, **kwargs)

    monkeypatch.setattr(agentmd_git, "run", counted)
    # Next action names `src/tally/count.py`, which task counter lists: git is not asked
    future = write_handoff(worked, text, name="2026-11-20-tokenizer.md")
    assert check(worked, future).stdout == ""
    assert "check-ignore" not in asked
    # three handoffs that name `build/`, which git ignores: one question, for the check
    text = text.replace("write `src/tally/count.py`.", "write `src/tally/count.py` in `build/`.")
    rels = [write_handoff(worked, text, name=f"2026-11-2{day}-tokenizer.md") for day in "123"]
    result = check(worked, *rels)
    assert result.stdout == "", result.stdout
    assert asked.count("check-ignore") == 1


def test_a_heading_that_joins_two_names_or_starts_with_one_names_that_section():
    # (real handoffs: "Verification Run", "Known Issues / Risks", "Open Risks / Blockers" were
    # sections missing)
    from agentmd.handoffs.names import canonical

    assert canonical("Verification Run") == "Verification"
    assert canonical("Known Issues / Risks") == "Gotchas"
    assert canonical("Open Risks / Blockers") == "Remaining"
    assert canonical("Decisions & Rationale") == "Decisions"
    assert canonical("Summary of changes") == "Summary"
    assert canonical("Files Changed") == "Artifacts"
    # a general word at the start names nothing, nor does a long heading
    assert canonical("Next release") is None and canonical("Tests added") is None
    assert canonical("Verification of the old parser's output") is None
