"""`agentmd review` against the fake API: the request, the findings file, follow-up tasks."""

from __future__ import annotations

import json

import pytest

from agentmd.api.findings_file import check_file
from agentmd.api.review import review_for_loop
from agentmd.prompt import diff_budget
from agentmd.workspace.folder import Workspace
from conftest import cli, git
from fake_anthropic import error, tool_use

NOW = "2026-11-22T09:30:00Z"
BLOCKING = {
    "severity": "blocking",
    "path": "src/tally/tokenize.py",
    "line": 2,
    "message": "lower() is used where the task asks for casefold()",
    "suggestion": "use text.casefold()",
}
NIT = {
    "severity": "nit",
    "path": "src/tally/tokenize.py",
    "line": 1,
    "message": "the import is unused",
}


@pytest.fixture
def worked(example, monkeypatch):
    """The example with `tokenizer` claimed, worked on, committed and handed off."""
    monkeypatch.setenv("AGENTMD_NOW", NOW)
    assert cli(example, "claim", "tokenizer").exit_code == 0
    (example / "src/tally").mkdir(parents=True)
    (example / "src/tally/tokenize.py").write_text(
        "import re\ndef words(text): return text.lower().split()\n"
    )
    (example / ".agents/handoffs/2026-11-22-tokenizer.md").write_text(
        "---\ntask: tokenizer\nstatus: done\n---\n## Summary\n\nWrote words().\n"
    )
    git(example, "add", "-A")
    git(example, "commit", "-q", "-m", "tokenizer")
    return example


def test_review_sends_task_handoff_and_diff_and_writes_the_findings_file(worked, fake_api):
    fake_api.messages = [
        tool_use("report_review", {"summary": "One bug.", "findings": [NIT, BLOCKING]})
    ]
    result = cli(worked, "review", "tokenizer")
    assert result.exit_code == 1, result.output
    assert result.stdout == (
        "src/tally/tokenize.py:2:1: blocking review: lower() "
        "is used where the task asks for casefold()\n"
        "  hint: use text.casefold()\n"
        "src/tally/tokenize.py:1:1: nit review: the import is unused\n"
        "review of tokenizer: changes requested (1 blocking, 0 "
        "minor, 1 nit) -> .agents/reviews/2026-11-22-tokenizer.md\n"
    )
    base = git(worked, "rev-parse", "HEAD~1").strip()
    head = git(worked, "rev-parse", "HEAD").strip()
    assert (worked / ".agents/reviews/2026-11-22-tokenizer.md").read_text() == (
        "---\n"
        "task: tokenizer\n"
        "verdict: changes_requested\n"
        "blocking: 1\n"
        "findings: 2\n"
        f"base: {base}\n"
        f"head: {head}\n"
        "model: claude-sonnet-5-5\n"
        "date: 2026-11-22T09:30:00Z\n"
        "---\n"
        "## Summary\n\nOne bug.\n\n"
        "## Findings\n\n"
        "- blocking `src/tally/tokenize.py:2`: lower() is used where the task asks for casefold()\n"
        "  Suggestion: use text.casefold()\n"
        "- nit `src/tally/tokenize.py:1`: the import is unused\n"
    )
    (request,) = fake_api.calls("/v1/messages")
    body = request.body
    assert body["tool_choice"] == {"type": "tool", "name": "report_review"}
    assert body["system"][-1]["cache_control"] == {"type": "ephemeral"}
    assert "## Project: tally" in body["system"][1]["text"]
    user = body["messages"][0]["content"]
    assert "## The task under review: Split text into words" in user
    assert "Wrote words()." in user
    assert "+def words(text): return text.lower().split()" in user
    assert ".agents/" not in user.split("## The change")[1]  # the diff leaves .agents/ out
    log = (worked / ".agents/memory/log.md").read_text()
    assert (
        f"- {NOW} review tokenizer: changes_requested, 1 "
        "blocking of 2 in reviews/2026-11-22-tokenizer.md\n"
        in log
    )


def test_review_with_no_findings_passes_and_says_so(worked, fake_api):
    fake_api.messages = [tool_use("report_review", {"summary": "Good.", "findings": []})]
    result = cli(worked, "review", "tokenizer", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["review"]["verdict"] == "pass"
    assert data["review"]["file"] == ".agents/reviews/2026-11-22-tokenizer.md"
    text = (worked / ".agents/reviews/2026-11-22-tokenizer.md").read_text()
    assert "verdict: pass\n" in text and "## Findings\n\nNone.\n" in text


def test_a_second_review_the_same_day_gets_its_own_file(worked, fake_api):
    fake_api.messages = [tool_use("report_review", {"summary": "", "findings": []})] * 2
    assert cli(worked, "review", "tokenizer").exit_code == 0
    again = cli(worked, "review", "tokenizer")
    assert again.stdout.endswith("-> .agents/reviews/2026-11-22-tokenizer-2.md\n")


def test_an_unusable_answer_is_sent_back_once_with_the_problems(worked, fake_api):
    wrong = {**BLOCKING, "path": "src/nowhere.py", "severity": "fatal"}
    fake_api.messages = [
        tool_use("report_review", {"summary": "x", "findings": [wrong]}),
        tool_use("report_review", {"summary": "x", "findings": [BLOCKING]}),
    ]
    result = cli(worked, "review", "tokenizer")
    assert result.exit_code == 1, result.output
    first, second = fake_api.calls("/v1/messages")
    feedback = second.body["messages"][2]["content"][0]
    assert feedback["type"] == "tool_result" and feedback["is_error"] is True
    assert feedback["tool_use_id"] == "toolu_01"
    assert feedback["content"] == (
        "This answer cannot be used:\n"
        "- finding 1: severity must be one of blocking, minor, nit, not 'fatal'\n"
        "- finding 1: path 'src/nowhere.py' is neither in the diff nor in the repository\n"
        "Call report_review again with every problem fixed."
    )
    assert second.body["messages"][0] == first.body["messages"][0]


def test_two_unusable_answers_write_nothing_and_exit_2(worked, fake_api):
    fake_api.messages = [tool_use("report_review", {"findings": "none"})] * 2
    result = cli(worked, "review", "tokenizer")
    assert result.exit_code == 2
    assert "findings must be a list" in result.stderr
    assert not (worked / ".agents/reviews").exists()


def test_file_tasks_turns_each_blocking_finding_into_a_task(worked, fake_api):
    fake_api.messages = [
        tool_use("report_review", {"summary": "One bug.", "findings": [BLOCKING, NIT]})
    ]
    result = cli(worked, "review", "tokenizer", "--file-tasks")
    assert result.exit_code == 1, result.output
    new_id = "fix-review-finding-lower-is-used-where-the-task-asks-for-cas"
    assert result.stdout.endswith(f"added task {new_id}\n")
    assert (worked / f".agents/tasks/{new_id}.md").read_text() == (
        "---\n"
        'title: "Fix review finding: lower() is used where the task asks for casefold()"\n'
        "status: todo\n"
        "priority: high\n"
        "depends_on: []\n"
        "inputs: [src/tally/tokenize.py]\n"
        "outputs: [src/tally/tokenize.py]\n"
        "verify:\n"
        "  - python -m pytest tests/test_tokenize.py -q\n"
        "created: 2026-11-22\n"
        f"planned_at: {git(worked, 'rev-parse', 'HEAD').strip()}\n"
        "---\n"
        "## Goal\n\n"
        "Fix what the review of `tokenizer` found at `src/tally/tokenize.py:2`: lower() is used "
        "where the task asks for casefold()\n\n"
        "Suggested fix: use text.casefold()\n\n"
        "## Acceptance criteria\n\n"
        "- [ ] The finding at `src/tally/tokenize.py:2` is resolved\n"
        "- [ ] The verify commands of `tokenizer` still pass\n\n"
        "## Notes\n\nFrom `.agents/reviews/2026-11-22-tokenizer.md`.\n"
    )
    shown = cli(worked, "show", new_id, "--json")
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)["task"]["ready"] is True


def test_review_for_loop_returns_the_blocking_findings_located(worked, fake_api):
    fake_api.messages = [tool_use("report_review", {"summary": "", "findings": [NIT, BLOCKING]})]
    ws = Workspace.find(worked)
    assert review_for_loop(ws, ws.task("tokenizer")) == [
        "src/tally/tokenize.py:2: lower() is used where the task asks for casefold()"
    ]


def test_review_for_loop_sends_back_a_task_that_changed_nothing(example, fake_api, monkeypatch):
    monkeypatch.setenv("AGENTMD_NOW", NOW)
    assert cli(example, "claim", "tokenizer").exit_code == 0
    ws = Workspace.find(example)
    assert review_for_loop(ws, ws.task("tokenizer")) == [
        ".agents/tasks/tokenizer.md:1: nothing to review: no change outside .agents/ "
        f"between {git(example, 'rev-parse', 'HEAD').strip()[:12]} and HEAD"
    ]
    assert fake_api.requests == []


def test_a_task_never_claimed_needs_a_base(example, fake_api):
    result = cli(example, "review", "tokenizer")
    assert result.exit_code == 2
    assert result.stderr == (
        "agentmd: error: task 'tokenizer' has no base commit to diff from (it was never claimed)\n"
        "  hint: pass --base REV: the commit the work started from\n"
    )


def test_a_failing_api_leaves_no_findings_file(worked, fake_api):
    fake_api.messages = [error(529)] * 4
    result = cli(worked, "review", "tokenizer")
    assert result.exit_code == 2
    assert result.stderr == (
        "agentmd: error: the Anthropic API is overloaded "
        "after 4 tries (529 overloaded_error: fake 529)\n"
        "  hint: try again later\n"
    )
    assert len(fake_api.calls("/v1/messages")) == 4
    assert not (worked / ".agents/reviews").exists()


def test_review_without_a_key_says_so_in_one_line(worked):
    result = cli(worked, "review", "tokenizer")
    assert result.exit_code == 2
    assert result.stderr == (
        "agentmd: error: ANTHROPIC_API_KEY is not set: this "
        "command asks the Anthropic API and needs a key\n"
    )


def test_a_diff_over_budget_summarises_the_largest_hunk_first_then_drops(tmp_path):
    small = "diff --git a/a.py b/a.py\n--- a/a.py\n+++ b/a.py\n@@ -1 +1 @@\n-x\n+y\n"
    big = (
        "diff --git a/b.py b/b.py\n--- a/b.py\n+++ b/b.py\n@@ -1,0 +1,300 @@\n"
        + "+line of code\n" * 300
    )
    whole = diff_budget.fit(small + big, 10_000)
    assert whole.complete and whole.text == small + big
    cut = diff_budget.fit(small + big, 200)
    assert cut.summarised == ["b.py @@ -1,0 +1,300 @@ (+300 -0)"] and cut.dropped == []
    assert cut.text == small + (
        "diff --git a/b.py b/b.py\n--- a/b.py\n+++ b/b.py\n@@ -1,0 +1,300 @@\n"
        "[hunk summarised to fit the budget: +300 -0 lines, ~1,406 tokens not shown]\n"
    )
    tiny = diff_budget.fit(small + big, 40)
    assert tiny.dropped == ["b.py @@ -1,0 +1,300 @@ (+300 -0)", "a.py @@ -1 +1 @@ (+1 -1)"]
    assert tiny.summarised == []
    assert tiny.tokens <= 40


def test_a_diff_over_the_budget_is_cut_and_the_cut_is_listed_in_the_request_and_the_file(
    worked, fake_api
):
    (worked / "src/tally/table.py").write_text("".join(f"ROW_{n} = {n}\n" for n in range(3000)))
    git(worked, "add", "-A")
    git(worked, "commit", "-q", "-m", "a big table")
    fake_api.messages = [tool_use("report_review", {"summary": "ok", "findings": []})]
    result = cli(worked, "review", "tokenizer", "--budget", "4000")
    assert result.exit_code == 0, result.output
    user = fake_api.calls("/v1/messages")[0].body["messages"][0]["content"]
    assert "@@ -0,0 +1,3000 @@\n[hunk summarised to fit the budget: +3000 -0 lines, ~" in user
    assert "+def words(text): return text.lower().split()" in user  # the small hunk is whole
    assert user.endswith(
        "The diff was cut to fit the budget:\n- summarised: "
        "src/tally/table.py @@ -0,0 +1,3000 @@ (+3000 -0)"
    )
    text = (worked / ".agents/reviews/2026-11-22-tokenizer.md").read_text()
    assert text.endswith(
        "## Left out of the diff\n\n- summarised: "
        "src/tally/table.py @@ -0,0 +1,3000 @@ (+3000 -0)\n"
    )


def test_head_names_the_end_of_the_change(worked, fake_api):
    first = git(worked, "rev-parse", "HEAD").strip()
    (worked / "src/tally/later.py").write_text("x = 1\n")
    git(worked, "add", "-A")
    git(worked, "commit", "-q", "-m", "later")
    fake_api.messages = [tool_use("report_review", {"summary": "ok", "findings": []})]
    result = cli(worked, "review", "tokenizer", "--head", "HEAD~1", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["review"]["head"] == first
    assert "later.py" not in fake_api.calls("/v1/messages")[0].body["messages"][0]["content"]


def test_a_base_that_is_not_a_commit_is_an_error(worked, fake_api):
    result = cli(worked, "review", "tokenizer", "--base", "no-such-rev")
    assert result.exit_code == 2
    assert result.stderr == (
        "agentmd: error: 'no-such-rev' is not a commit in this repository\n"
        "  hint: name a commit, tag or branch\n"
    )
    assert fake_api.requests == []


def test_a_written_findings_file_checks_clean(worked, fake_api):
    fake_api.messages = [tool_use("report_review", {"summary": "One bug.", "findings": [BLOCKING]})]
    assert cli(worked, "review", "tokenizer").exit_code == 1
    ws = Workspace.find(worked)
    assert check_file(ws, "reviews/2026-11-22-tokenizer.md") == []


def test_a_hand_broken_findings_file_has_located_problems(example):
    folder = example / ".agents/reviews"
    folder.mkdir()
    (folder / "2026-11-22-x.md").write_text(
        "---\ntask: ghost\nverdict: pass\nblocking: 2\nfindings: "
        "1\nbase: not-a-hash\nreviewer: me\n---\n## Summary\n"
    )
    problems = check_file(Workspace.find(example), "reviews/2026-11-22-x.md")
    assert [p.render() for p in problems] == [
        ".agents/reviews/2026-11-22-x.md:7:1: error unknown-key: "
        "unknown key 'reviewer' in a findings file\n"
        "  hint: known keys: task, verdict, blocking, findings, base, head, model, date",
        ".agents/reviews/2026-11-22-x.md:1:1: error missing-key: a findings file needs 'head'",
        ".agents/reviews/2026-11-22-x.md:2:1: warning "
        "dangling-task: no task 'ghost' in .agents/tasks/",
        ".agents/reviews/2026-11-22-x.md:4:1: error bad-value: more blocking findings than "
        "findings",
        ".agents/reviews/2026-11-22-x.md:3:1: error bad-value: "
        "verdict pass does not match 2 blocking finding(s)\n"
        "  hint: changes_requested when blocking > 0, else pass",
        ".agents/reviews/2026-11-22-x.md:6:1: error bad-value: "
        "base must be a commit hash, not 'not-a-hash'",
    ]
