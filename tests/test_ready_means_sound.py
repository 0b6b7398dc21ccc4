"""Work `check` calls broken is never handed out; a claim through a symlink edits its target;
the memo of `next` never answers for another option."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conftest import cli, git


def task(repo: Path, task_id: str, front: str, body: str = "## Goal\n\nDo it.\n") -> Path:
    path = repo / ".agents/tasks" / f"{task_id}.md"
    path.write_text(f"---\n{front}---\n{body}")
    return path


@pytest.fixture
def plan(example):
    """The example with its tokenizer taken off the ready list (it has real work), so that the
    broken task would be the next ready one."""
    tok = example / ".agents/tasks/tokenizer.md"
    tok.write_text(tok.read_text().replace("priority: high", "priority: low"))
    return example


BROKEN = {
    "outside": ("path-escapes", "title: Outside\nstatus: todo\npriority: high\n"
                "outputs: [../../outside.txt]\n"),
}  # fmt: skip


def make_broken(repo: Path, kind: str) -> str:
    if kind == "outside":
        task(repo, "outside", BROKEN["outside"][1])
        return "path-escapes"
    if kind == "empty":
        (repo / ".agents/tasks/empty.md").write_text("")
        return "task-no-frontmatter"
    big = "word " * 200_000  # about 1 MB: over the example's prompt budget
    task(repo, "huge", "title: Huge\nstatus: todo\npriority: high\n", f"## Goal\n\n{big}\n")
    return "prompt-too-large"


IDS = {"outside": "outside", "empty": "empty", "huge": "huge"}


@pytest.mark.parametrize("kind", ["outside", "empty", "huge"])
def test_a_task_with_an_error_finding_is_never_ready(plan, kind):
    code = make_broken(plan, kind)
    task_id = IDS[kind]
    checked = cli(plan, "check")
    assert f"error {code}:" in checked.stdout
    prompt = cli(plan, "next")
    assert prompt.exit_code == 0, prompt.output
    assert prompt.stdout.startswith("# Split text into words\n")  # the sound task, not the broken
    claimed = cli(plan, "claim", task_id)
    assert claimed.exit_code == 1
    assert claimed.stderr.startswith(
        f"agentmd: error: task '{task_id}' is not ready: check: {code}: "
    )
    assert "status: active" not in (plan / f".agents/tasks/{task_id}.md").read_text()
    explained = cli(plan, "next", "--explain")
    assert f"  {task_id}: check: {code}: " in explained.stdout
    assert "  1. tokenizer" in explained.stdout
    listed = cli(plan, "list")
    line = next(row for row in listed.stdout.splitlines() if row.startswith(task_id))
    assert line.endswith(f"(not ready: {code})")
    assert "ready" not in line.split()[1]
    rows = json.loads(cli(plan, "list", "--json").stdout)["tasks"]
    (row,) = [r for r in rows if r["id"] == task_id]
    assert row["ready"] is False
    assert code in row["errors"][0]
    status = cli(plan, "status")
    assert f"{task_id}: check: {code}: " in status.stdout


def test_next_claim_passes_over_a_broken_task_and_claims_the_sound_one(plan):
    make_broken(plan, "outside")
    result = cli(plan, "next", "--claim")
    assert result.exit_code == 0, result.output
    assert "status: active" in (plan / ".agents/tasks/tokenizer.md").read_text()
    assert "status: todo" in (plan / ".agents/tasks/outside.md").read_text()


def test_a_claim_through_an_in_repo_symlink_edits_the_target_and_keeps_the_link(example):
    docs = example / "docs"
    docs.mkdir()
    tok = example / ".agents/tasks/tokenizer.md"
    target = docs / "tokenizer-task.md"
    target.write_text(tok.read_text())
    tok.unlink()
    os.symlink("../../docs/tokenizer-task.md", tok)
    result = cli(example, "claim", "tokenizer")
    assert result.exit_code == 0, result.output
    assert tok.is_symlink()
    assert os.readlink(tok) == "../../docs/tokenizer-task.md"
    assert "status: active" in target.read_text()


def test_a_claim_through_a_symlink_leading_outside_the_repository_is_refused(example, tmp_path):
    tok = example / ".agents/tasks/tokenizer.md"
    outside = tmp_path / "elsewhere.md"
    outside.write_text(tok.read_text())
    before = outside.read_text()
    tok.unlink()
    os.symlink(outside, tok)
    result = cli(example, "claim", "tokenizer")
    assert result.exit_code == 2
    assert result.stderr == (
        ".agents/tasks/tokenizer.md:1:1: error symlink-outside: is a symlink that points "
        "outside the repository\n"
    )
    assert outside.read_text() == before
    assert tok.is_symlink()


# -- the memo of next ---------------------------------------------------------------------------

OPTIONS = [(), ("--explain",), ("--json",), ("--explain", "--json"), ("--budget", "90000")]


@pytest.mark.parametrize("first", OPTIONS)
@pytest.mark.parametrize("then", OPTIONS)
def test_each_output_changing_option_after_each_other_gives_the_uncached_output(
    example, first, then
):
    cache = example / ".agents/.cache"
    cli(example, "next", *then)
    uncached = cli(example, "next", *then)  # the index warm, the memo cleared below
    (cache / "memo.json").unlink(missing_ok=True)
    uncached = cli(example, "next", *then)
    assert uncached.exit_code == 0
    assert uncached.stdout
    cli(example, "next", *first)
    again = cli(example, "next", *then)
    assert (again.exit_code, again.stdout, again.stderr) == (
        uncached.exit_code,
        uncached.stdout,
        uncached.stderr,
    )
    git(example, "status", "--short")
