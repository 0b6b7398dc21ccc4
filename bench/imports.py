"""The import rows of the benchmark (issue 13): `agentmd import` of a Backlog.md folder and of a
Task Master tasks.json of N tasks (30% done) into an empty .agents/, each run a first import."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from harness import call, measure

IMPORT_BACKLOG = "`agentmd import backlog` (a Backlog.md folder, first import)"
IMPORT_TASKMASTER = "`agentmd import taskmaster` (a tasks.json, first import)"


def make_backlog(folder: Path, n: int) -> None:
    (folder / "tasks").mkdir(parents=True)
    (folder / "completed").mkdir()
    (folder / "config.yml").write_text(
        'project_name: "bench"\ndefault_status: "To Do"\n'
        'statuses: ["To Do", "In Progress", "Done"]\n'
    )
    for i in range(1, n + 1):
        done = i % 10 < 3
        deps = f"[task-{i - 1}]" if i > 1 and i % 4 else "[]"
        text = (
            f"---\nid: task-{i}\ntitle: 'Task number {i}: do the thing'\n"
            f"status: {'Done' if done else 'To Do'}\nassignee: []\n"
            f"created_date: '2026-01-01 10:00'\nlabels: [area-{i % 7}]\n"
            f"dependencies: {deps}\npriority: {('high', 'medium', 'low')[i % 3]}\n---\n\n"
            "## Description\n\n<!-- SECTION:DESCRIPTION:BEGIN -->\n"
            f"Make thing {i} work.\n<!-- SECTION:DESCRIPTION:END -->\n\n"
            "## Acceptance Criteria\n<!-- AC:BEGIN -->\n"
            f"- [{'x' if done else ' '}] #1 it works\n<!-- AC:END -->\n"
        )
        where = folder / ("completed" if done else "tasks")
        (where / f"task-{i} - Task-number-{i}.md").write_text(text)


def make_tasks_json(path: Path, n: int) -> None:
    """n tasks in all: a quarter top-level tasks with three subtasks each."""
    tasks = []
    for i in range(1, n // 4 + 1):
        status = "done" if i % 10 < 3 else "pending"
        subtasks = [
            {"id": s, "title": f"Part {s} of {i}", "description": "A part.",
             "status": status, "dependencies": [s - 1] if s > 1 else []}
            for s in (1, 2, 3)
        ]  # fmt: skip
        tasks.append(
            {
                "id": i,
                "title": f"Task {i}",
                "description": f"Make thing {i} work.",
                "details": "Details.",
                "testStrategy": "Tests.",
                "status": status,
                "priority": ("high", "medium", "low")[i % 3],
                "dependencies": [i - 1] if i > 1 and i % 4 else [],
                "subtasks": subtasks,
            }
        )
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"master": {"tasks": tasks, "metadata": {}}}, indent=2))


def import_rows(work: Path, size: int, env: dict[str, str], runs: int, agentmd: str) -> list:
    """(command, size, Measurement) for both formats; the result passes `agentmd check`."""
    root = work / f"import-{size}"
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    call(["git", "init", "-q", "-b", "main"], root, env)
    call([agentmd, "init"], root, env)
    make_backlog(root / "backlog", size)
    make_tasks_json(root / ".taskmaster" / "tasks" / "tasks.json", size)
    tasks = root / ".agents" / "tasks"
    aside = work / f"import-{size}-aside"
    shutil.rmtree(aside, ignore_errors=True)
    aside.mkdir()

    def empty() -> None:
        # A fresh, empty folder each run, as a first import meets it. The last run's files are
        # moved aside, not deleted: ext4 without a journal skips each inode freed in the last
        # minute when it makes a file (ialloc.c recently_deleted), so 10,000 files deleted just
        # before the run made each of its creates scan past them (3-10 s of system time).
        tasks.rename(aside / str(len(list(aside.iterdir()))))
        tasks.mkdir()
        (tasks / ".gitkeep").touch()

    out = []
    for command, argv in (
        (IMPORT_BACKLOG, [agentmd, "import", "backlog", "backlog"]),
        (IMPORT_TASKMASTER, [agentmd, "import", "taskmaster", ".taskmaster/tasks/tasks.json"]),
    ):
        empty()
        m = measure(argv, root, env, runs, before=empty)
        call([agentmd, "check"], root, env)  # the last import's result passes check
        # The CPU time beside the wall time: on a shared machine the wall time is mostly waiting.
        print(f"{command}, {size:,} tasks: cpu (user+sys) {m.cpu_seconds:.2f} s", file=sys.stderr)
        out.append((command, size, m))
    shutil.rmtree(aside, ignore_errors=True)
    return out
