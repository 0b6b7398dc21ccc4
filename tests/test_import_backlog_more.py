"""`agentmd import backlog`, what issue 13 names beside the common case: sub-task ids with dots
(`back-24.02`, its parent kept under ## Notes), the archive folders (an archived task is blocked
unless it was done), `ordinal` kept, and a second import of an untouched folder writing nothing."""

from __future__ import annotations

from conftest import cli, git


def task(folder, name: str, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)


def test_sub_task_ids_archives_and_ordinal(repo):
    assert cli(repo, "init").exit_code == 0
    backlog = repo / "backlog"
    task(
        backlog / "tasks",
        "back-24 - Parent.md",
        "---\nid: back-24\ntitle: Parent\nstatus: To Do\nordinal: 1000\n---\n",
    )
    task(
        backlog / "tasks",
        "back-24.02 - Child.md",
        "---\nid: back-24.02\ntitle: Child\nstatus: In Progress\nparent_task_id: back-24\n"
        "dependencies: [back-24.01]\n---\n",
    )
    task(
        backlog / "tasks",
        "back-24.01 - First child.md",
        "---\nid: back-24.01\ntitle: First child\nstatus: Done\nparent_task_id: back-24\n---\n",
    )
    task(
        backlog / "archive" / "tasks",
        "back-3 - Old idea.md",
        "---\nid: back-3\ntitle: Old idea\nstatus: To Do\n---\n",
    )
    task(
        backlog / "archive" / "tasks",
        "back-2 - Shipped.md",
        "---\nid: back-2\ntitle: Shipped\nstatus: Done\n---\n",
    )
    result = cli(repo, "import", "backlog", "backlog")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "imported 5 task(s) from backlog: 5 new, 0 updated, 0 unchanged (2 done in the source)\n"
    )
    tasks = repo / ".agents/tasks"
    assert sorted(p.name for p in tasks.glob("*.md")) == [
        "back-2.md", "back-24.01.md", "back-24.02.md", "back-24.md", "back-3.md"
    ]  # fmt: skip
    child = (tasks / "back-24.02.md").read_text()
    assert "status: active\n" in child
    assert "depends_on: [back-24.01]\n" in child
    assert "source: backlog#back-24.02\n" in child
    assert "- parent_task_id: back-24\n" in child
    assert "- ordinal: 1000\n" in (tasks / "back-24.md").read_text()
    old = (tasks / "back-3.md").read_text()
    assert "status: blocked\n" in old
    assert "blocked_reason: archived in Backlog.md\n" in old
    assert "status: done\n" in (tasks / "back-2.md").read_text()
    assert cli(repo, "check").exit_code == 0
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "imported")
    again = cli(repo, "import", "backlog", "backlog")
    assert again.stdout == (
        "imported 5 task(s) from backlog: 0 new, 0 updated, 5 unchanged (2 done in the source)\n"
    )
    assert git(repo, "status", "--porcelain") == ""
