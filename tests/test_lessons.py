"""The flywheel: a handoff's ## Lessons, listed, adopted as a gotcha, decision or rule (or
dismissed), never offered twice, and reaching the next tasks that touch those files."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import cli, git

HANDOFF = """\
---
task: tokenizer
status: partial
---
## Summary

Wrote `words()` in `src/tok.py`.

## Completed

- `src/tok.py`: `words(text)` splits on whitespace

## Remaining

- Count the words in `src/count.py`.

## Decisions

- `str.split()` for now: nothing asks for more yet.

## Gotchas

None

## Lessons

{lessons}

## Next action

Start the counter in `src/count.py`.

## Artifacts

- src/tok.py

## Verification

- `test -f src/tok.py`: exit 0
"""
TRAP = "`src/tok.py` splits on whitespace only: casefold the words before counting them."
HABIT = "Run the tests from the repository root, never from the tests folder."


def plan(repo: Path, lessons: str = f"- {TRAP}\n- {HABIT}") -> Path:
    assert cli(repo, "init").exit_code == 0
    for args in (
        ("Tokenizer", "--id", "tokenizer", "--output", "src/tok.py"),
        ("Counter", "--id", "counter", "--input", "src/tok.py", "--output", "src/count.py"),
        ("Guide", "--id", "guide", "--input", "docs/guide.md", "--output", "docs/guide.md"),
    ):
        assert cli(repo, "add", *args).exit_code == 0
    (repo / "src").mkdir()
    (repo / "src/tok.py").write_text("def words(text):\n    return text.split()\n")
    (repo / ".agents/handoffs/2026-11-20-tokenizer.md").write_text(HANDOFF.format(lessons=lessons))
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "tokenizer")
    return repo


def prompts(repo: Path) -> dict[str, str]:
    result = cli(repo, "next", "--parallel", "3", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    return {item["task"]["id"]: item["prompt"] for item in data["tasks"]}


def test_the_whole_flywheel_a_lesson_about_a_file_reaches_the_next_task_touching_it(repo):
    plan(repo)
    before = prompts(repo)
    assert "casefold" not in before["counter"]
    listed = cli(repo, "lessons")
    assert listed.exit_code == 0
    assert listed.stdout.startswith(
        "2026-11-20-tokenizer#1  (task tokenizer, .agents/handoffs/2026-11-20-tokenizer.md:27)\n"
        "  files: src/tok.py\n"
        f"  {TRAP}\n"
    )
    adopted = cli(repo, "lessons", "adopt", "2026-11-20-tokenizer#1", "--as", "gotcha")
    assert adopted.exit_code == 0, adopted.output
    assert adopted.stdout == (
        "created .agents/memory/gotchas/src-tok-py-splits-on-whitespace.md\n"
        "  applies to: src/tok.py\n"
    )
    after = prompts(repo)
    assert "### Gotcha: src/tok.py splits on whitespace only" in after["counter"]
    assert TRAP in after["counter"]
    assert "casefold" not in after["guide"]
    assert "# Guide\n" in after["guide"]
    assert [
        item["ref"] for item in json.loads(cli(repo, "lessons", "--json").stdout)["lessons"]
    ] == ["2026-11-20-tokenizer#2"]


def test_an_adopted_gotcha_is_a_checked_note_linked_to_its_handoff(repo, monkeypatch):
    monkeypatch.setenv("AGENTMD_NOW", "2026-11-21T09:00:00Z")
    plan(repo)
    assert cli(repo, "lessons", "adopt", "2026-11-20-tokenizer#1", "--as", "gotcha").exit_code == 0
    text = (repo / ".agents/memory/gotchas/src-tok-py-splits-on-whitespace.md").read_text()
    assert text == (
        '---\ntitle: "src/tok.py splits on whitespace only"\ndate: 2026-11-21\napplies_to:\n'
        '  - "src/tok.py"\nlesson: "2026-11-20-tokenizer#1"\n---\n'
        f"{TRAP}\n\n"
        "From the lessons of [2026-11-20-tokenizer.md](../../handoffs/2026-11-20-tokenizer.md) "
        "(task `tokenizer`).\n"
    )
    assert cli(repo, "check").exit_code == 0
    log = (repo / ".agents/memory/log.md").read_text()
    assert log.endswith(
        "- 2026-11-21T09:00:00Z lesson-adopted 2026-11-20-tokenizer#1: as gotcha "
        ".agents/memory/gotchas/src-tok-py-splits-on-whitespace.md\n"
    )


def test_a_rule_with_its_own_globs_and_a_decision(repo):
    plan(repo)
    result = cli(
        repo, "lessons", "adopt", "2026-11-20-tokenizer#2", "--as", "rule",
        "--applies-to", "tests/**", "--applies-to", "pyproject.toml",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rule = repo / ".agents/rules/run-the-tests-from-the-repository.md"
    assert 'applies_to:\n  - "tests/**"\n  - "pyproject.toml"\n' in rule.read_text()
    assert "](../handoffs/2026-11-20-tokenizer.md)" in rule.read_text()
    again = cli(repo, "lessons", "adopt", "2026-11-20-tokenizer#2", "--as", "decision")
    assert again.exit_code == 2
    assert "lesson 2026-11-20-tokenizer#2 is already adopted as .agents/rules/" in again.stderr


def test_a_dismissed_lesson_is_never_offered_again(repo):
    plan(repo)
    result = cli(repo, "lessons", "dismiss", "2026-11-20-tokenizer#2", "--reason", "in README")
    assert (result.exit_code, result.stdout) == (0, "dismissed 2026-11-20-tokenizer#2\n")
    listed = cli(repo, "lessons").stdout
    assert "2026-11-20-tokenizer#1" in listed
    assert "#2" not in listed
    again = cli(repo, "lessons", "adopt", "2026-11-20-tokenizer#2", "--as", "gotcha")
    assert "is already dismissed: in README" in again.stderr


def test_none_lessons_and_an_unknown_ref(repo):
    plan(repo, lessons="None")
    assert cli(repo, "lessons").stdout == "no new lessons\n"
    result = cli(repo, "lessons", "adopt", "2026-11-20-tokenizer#1", "--as", "gotcha")
    assert result.exit_code == 2
    assert "no lesson '2026-11-20-tokenizer#1'" in result.stderr


def test_handoff_check_holds_lessons_to_the_gotchas_concreteness(repo):
    plan(repo, lessons="- Some issues with `src/missing.py`, etc.")
    result = cli(repo, "handoff", "check", ".agents/handoffs/2026-11-20-tokenizer.md")
    assert result.exit_code == 1
    assert ".agents/handoffs/2026-11-20-tokenizer.md:27:3: error handoff-vague:" in result.stdout
    assert (
        ".agents/handoffs/2026-11-20-tokenizer.md:27:21: warning handoff-path-missing: "
        "'src/missing.py' does not exist (no base to tell whether the work deleted it)"
    ) in result.stdout


def test_a_handoff_without_lessons_or_with_none_is_complete(repo):
    plan(repo, lessons="None")
    none = cli(repo, "handoff", "check", ".agents/handoffs/2026-11-20-tokenizer.md")
    assert "Lessons" not in none.output
    path = repo / ".agents/handoffs/2026-11-20-tokenizer.md"
    path.write_text(path.read_text().replace("## Lessons\n\nNone\n\n", ""))
    without = cli(repo, "handoff", "check", ".agents/handoffs/2026-11-20-tokenizer.md")
    assert "Lessons" not in without.output
    assert without.exit_code == none.exit_code


def test_handoff_new_asks_for_lessons_and_flags_the_prompt_left_as_is(repo):
    plan(repo)
    result = cli(repo, "handoff", "new", "counter", "--base", "HEAD")  # never claimed: say it
    assert result.exit_code == 0, result.output
    rel = result.stdout.split()[1]
    text = (repo / rel).read_text()
    assert (
        "## Lessons\n\n"
        'Each a lesson for future sessions (a trap, a convention, a decision), or "None".\n' in text
    )
    check = cli(repo, "handoff", "check", rel)
    assert (
        "handoff-section-unfilled: section 'Lessons' still holds the template's prompt"
        in check.stdout
    )


def test_status_lists_new_lessons(repo):
    plan(repo)
    result = cli(repo, "status")
    assert result.stdout.endswith(
        "new lessons (2): 2026-11-20-tokenizer#1, 2026-11-20-tokenizer#2 "
        "('agentmd lessons' lists them)\n"
    )
    data = json.loads(cli(repo, "status", "--json").stdout)
    assert data["lessons"] == [
        {"ref": "2026-11-20-tokenizer#1", "task": "tokenizer"},
        {"ref": "2026-11-20-tokenizer#2", "task": "tokenizer"},
    ]
    cli(repo, "lessons", "dismiss", "2026-11-20-tokenizer#1", "--reason", "known")
    cli(repo, "lessons", "dismiss", "2026-11-20-tokenizer#2", "--reason", "known")
    quiet = cli(repo, "status").stdout
    assert "new lessons" not in quiet
    assert quiet.startswith("repo: 3 tasks")


def test_the_loop_lists_a_finished_tasks_lessons_and_adopts_none(repo):
    from conftest import run_agentmd
    from loopkit import loop_env, make_plan, worker

    make_plan(repo, {"a": []})
    result = run_agentmd(
        repo, "run", "--worker", worker("lesson"), "--until-done", env=loop_env(), timeout=90
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("lesson ")]
    assert len(lines) == 1
    assert lines[0].startswith("lesson 20")
    assert lines[0].endswith(
        "-a#1 from a: `out/a.txt` must end with a newline: the verify command greps it. "
        "(agentmd lessons adopt " + lines[0].split()[1] + " --as gotcha|decision|rule)"
    )
    assert not list((repo / ".agents/memory/gotchas").glob("*.md"))
    assert cli(repo, "lessons").stdout.startswith(lines[0].split()[1] + "  (task a, ")


def test_suggest_asks_the_model_checks_its_note_and_asks_again_once(repo, fake_api):
    from fake_anthropic import tool_use

    plan(repo)
    bad = {"kind": "gotcha", "title": "x" * 90, "text": "", "applies_to": ["../elsewhere"]}
    good = {
        "kind": "gotcha",
        "title": "Casefold words before counting",
        "text": "`words()` in `src/tok.py` keeps case: casefold before counting.",
        "applies_to": ["src/tok.py", "src/count.py"],
    }
    fake_api.messages = [tool_use("write_note", bad), tool_use("write_note", good)]
    result = cli(repo, "lessons", "adopt", "2026-11-20-tokenizer#1", "--suggest")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "created .agents/memory/gotchas/casefold-words-before-counting.md\n"
        "  applies to: src/tok.py, src/count.py\n"
    )
    first, second = fake_api.calls("/v1/messages")
    retry = json.dumps(second.body)
    assert "title is 90 characters, more than 72" in retry
    assert "applies_to '../elsewhere' leaves the repository" in retry
    assert "src/tok.py" in json.dumps(first.body)
    text = (repo / ".agents/memory/gotchas/casefold-words-before-counting.md").read_text()
    assert 'lesson: "2026-11-20-tokenizer#1"' in text


def test_suggest_writes_nothing_when_the_model_fails_twice(repo, fake_api):
    from fake_anthropic import tool_use

    plan(repo)
    fake_api.messages = [tool_use("write_note", {"kind": "poem"})] * 2
    result = cli(repo, "lessons", "adopt", "2026-11-20-tokenizer#1", "--suggest")
    assert result.exit_code == 2
    assert "nothing was written" in result.stderr
    assert not list((repo / ".agents/memory/gotchas").glob("*.md"))
    assert "2026-11-20-tokenizer#1" in cli(repo, "lessons").stdout


def test_a_title_keeps_the_underscores_of_the_names_it_quotes(repo):
    plan(repo, lessons="- `secret_key` and `salt` go together: change **both** in `src/tok.py`.")
    result = cli(repo, "lessons", "adopt", "2026-11-20-tokenizer#1", "--as", "decision")
    assert result.exit_code == 0, result.output
    rel = result.stdout.split()[1]
    assert (repo / rel).read_text().startswith('---\ntitle: "secret_key and salt go together"\n')


def test_applies_to_is_proposed_from_the_changed_files_and_the_tasks_outputs(repo):
    plan(repo)
    task = repo / ".agents/tasks/tokenizer.md"
    task.write_text(
        task.read_text().replace(
            "outputs: [src/tok.py]", "outputs: [src/tok.py, tests/test_tok.py]"
        )
    )
    result = cli(repo, "lessons", "adopt", "2026-11-20-tokenizer#1", "--as", "gotcha")
    assert result.stdout.endswith("  applies to: src/tok.py, tests/test_tok.py\n"), result.output
