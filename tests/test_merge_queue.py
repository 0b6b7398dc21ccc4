"""The merge queue: tasks in review merge in dependency order, and a conflict names what
brought the other side (the task whose merge changed the file, else the commit)."""

from __future__ import annotations

from agentmd.loop import merge
from agentmd.workspace.folder import Workspace
from conftest import git
from loopkit import make_plan


def test_tasks_in_review_merge_after_the_tasks_they_depend_on(repo):
    make_plan(repo, {"c": ["b"], "b": ["x"], "x": [], "a": [], "z": ["a"]})
    for task_id in "cbaz":
        path = repo / ".agents/tasks" / f"{task_id}.md"
        path.write_text(path.read_text().replace("status: todo", "status: review"))
    ws = Workspace(repo)
    # x is not in review, yet b still goes after a task at x's depth
    assert [t.id for t in merge.queue(ws.tasks)] == ["a", "b", "z", "c"]


def test_a_conflict_names_the_task_whose_merge_changed_the_file(repo):
    base = git(repo, "rev-parse", "HEAD").strip()
    (repo / "shared.txt").write_text("from x\n")
    git(repo, "add", "shared.txt")
    git(repo, "commit", "-q", "-m", "agentmd: merge agentmd/x (x)")
    merged = git(repo, "rev-parse", "--short", "HEAD").strip()
    (repo / "other.txt").write_text("later\n")
    git(repo, "add", "other.txt")
    git(repo, "commit", "-q", "-m", "unrelated")
    assert merge.changed_by(repo, ("shared.txt",), base) == f"the merge of task x ({merged})"
    (repo / "shared.txt").write_text("by hand\n")
    git(repo, "commit", "-q", "-am", "a person edits shared.txt")
    person = git(repo, "rev-parse", "--short", "HEAD").strip()
    assert merge.changed_by(repo, ("shared.txt",), base) == (
        f"commit {person} (a person edits shared.txt)"
    )
    assert merge.changed_by(repo, ("never.txt",), base) == ""
