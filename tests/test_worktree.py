"""`agentmd worktree ID`, `agentmd worktree prune`, and merge safety from `agentmd init`."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import cli, git


def test_worktree_creates_a_branch_and_folder_for_a_claimed_task_once(example):
    assert cli(example, "claim", "tokenizer").exit_code == 0
    result = cli(example, "worktree", "tokenizer")
    assert result.exit_code == 0, result.output
    path = example / ".agents/.cache/worktrees/tokenizer"
    assert result.stdout == f"{path.resolve()}\n"
    assert (
        result.stderr == "created .agents/.cache/worktrees/tokenizer on branch agentmd/tokenizer\n"
    )
    assert (path / ".agents/tasks/tokenizer.md").is_file()
    assert git(path, "branch", "--show-current") == "agentmd/tokenizer\n"
    again = cli(example, "worktree", "tokenizer")
    assert (
        again.stderr == "exists  .agents/.cache/worktrees/tokenizer on branch agentmd/tokenizer\n"
    )
    assert (
        git(example, "status", "--porcelain")
        == " M .agents/memory/log.md\n M .agents/tasks/tokenizer.md\n"
    )


def test_worktree_paths_and_branches_come_from_plan_md(example, tmp_path):
    plan = example / ".agents/plan.md"
    plan.write_text(
        plan.read_text().replace(
            "lease: 2h\n", f"lease: 2h\nworktrees: {tmp_path}/trees/{{id}}\nbranch: work/{{id}}-x\n"
        )
    )
    assert cli(example, "claim", "tokenizer").exit_code == 0
    result = cli(example, "worktree", "create", "tokenizer")
    assert result.stdout == f"{(tmp_path / 'trees/tokenizer').resolve()}\n"
    assert git(tmp_path / "trees/tokenizer", "branch", "--show-current") == "work/tokenizer-x\n"


def test_worktree_refuses_a_task_that_is_not_claimed(example):
    result = cli(example, "worktree", "counter")
    assert result.exit_code == 2
    assert result.stderr == (
        "agentmd: error: task 'counter' is todo: a worktree is for a claimed task\n"
        "  hint: agentmd claim counter first\n"
    )


def test_prune_removes_worktrees_of_done_and_released_tasks_and_keeps_the_rest(repo):
    assert cli(repo, "init").exit_code == 0
    for task_id in ("a", "b", "c"):
        assert cli(repo, "add", f"Task {task_id}", "--id", task_id).exit_code == 0
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "plan")
    for task_id in ("a", "b", "c"):
        assert cli(repo, "claim", task_id).exit_code == 0, task_id
        assert cli(repo, "worktree", task_id).exit_code == 0
    assert cli(repo, "done", "a", "--force").exit_code == 0
    assert cli(repo, "release", "b").stdout == "released b (was active, by tester)\n"
    (repo / ".agents/.cache/worktrees/b/scratch.txt").write_text("unsaved work\n")
    result = cli(repo, "worktree", "prune")
    assert result.exit_code == 1
    assert result.stdout == (
        "removed .agents/.cache/worktrees/a (a is done)\n"
        "kept    .agents/.cache/worktrees/b: '"
        + str((repo / ".agents/.cache/worktrees/b").resolve())
        + "' contains modified or untracked files, use --force to delete it (--force removes it)\n"
    )
    assert not (repo / ".agents/.cache/worktrees/a").exists()
    assert (repo / ".agents/.cache/worktrees/c").exists()  # still active
    assert "agentmd/a" not in git(repo, "branch", "--list")
    assert (
        cli(repo, "worktree", "prune", "--dry-run").stdout
        == "would remove .agents/.cache/worktrees/b (b is todo)\n"
    )
    data = json.loads(cli(repo, "worktree", "prune", "--json").stdout)
    assert data["worktrees"] == [
        {
            "task": "b",
            "path": str((repo / ".agents/.cache/worktrees/b").resolve()),
            "branch": "agentmd/b",
            "status": "todo",
            "removed": False,
            "branch_deleted": False,
            "refused": "'"
            + str((repo / ".agents/.cache/worktrees/b").resolve())
            + "' contains modified or untracked files, use --force to delete it",
        }
    ]
    forced = cli(repo, "worktree", "prune", "--force")
    assert forced.exit_code == 0
    assert forced.stdout == "removed .agents/.cache/worktrees/b (b is todo)\n"


def test_init_makes_the_log_merge_as_a_union_so_branches_that_add_work_merge_cleanly(repo):
    assert cli(repo, "init").exit_code == 0
    assert (repo / ".agents/.gitattributes").read_text() == (
        "# agentmd: the log only ever gains lines, so a merge keeps the lines of both sides.\n"
        "memory/log.md merge=union\n"
        "memory/log-*.md merge=union\n"
    )
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "init")
    git(repo, "switch", "-q", "-c", "other")
    assert cli(repo, "add", "Second branch task").exit_code == 0
    Path(repo / ".agents/memory/decisions/use-x.md").write_text(
        "---\ntitle: Use x\n---\nBecause.\n"
    )
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "other work")
    git(repo, "switch", "-q", "main")
    assert cli(repo, "add", "First branch task").exit_code == 0
    Path(repo / ".agents/handoffs/2026-11-20-first.md").write_text(
        "---\ntask: first-branch-task\n---\n"
    )
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "main work")
    git(repo, "merge", "-q", "--no-edit", "other")  # raises on a conflict
    log = (repo / ".agents/memory/log.md").read_text()
    assert "add first-branch-task: First branch task" in log
    assert "add second-branch-task: Second branch task" in log
    assert "<<<<<<<" not in log
