"""`agentmd import taskmaster` on the task_001.txt files `task-master generate` writes: read when
no tasks.json is there (tasks.json preferred when it is), subtasks and dependencies as tasks.json
has them, a tag from the file name, a file that is no such export refused at its line; and every
such file of ../shared/corpus imported with the counts of its tasks and done tasks."""

from __future__ import annotations

import csv
import json
import re

import pytest

from conftest import CORPUS, cli, git

TASK_1 = """\
# Task ID: 1
# Title: Set up the project
# Status: done
# Dependencies: None
# Priority: high
# Description: Make the skeleton
# Details:
Create the folders.
# not a header: a line of the details

# Test Strategy:
The build passes.
"""
TASK_2 = """\
# Task ID: 2
# Title: Parse the config
# Status: in-progress
# Dependencies: ✅ 1 (done)
# Priority: medium
# Description: Read config.yml
# Details:
Use the YAML loader.

# Test Strategy:
Unit tests.

# Subtasks:
## 1. Read the file [done]
### Dependencies: None
### Description: Open and decode it
### Details:
UTF-8 only.

## 2. Report errors [pending]
### Dependencies: 2.1
### Description: At their line
### Details:


"""


def init(repo):
    assert cli(repo, "init").exit_code == 0


def exports(repo):
    folder = repo / ".taskmaster" / "tasks"
    folder.mkdir(parents=True)
    (folder / "task_001.txt").write_text(TASK_1)
    (folder / "task_002.txt").write_text(TASK_2)
    return folder


def test_task_master_exports_are_imported_when_there_is_no_tasks_json(repo):
    init(repo)
    exports(repo)
    result = cli(repo, "import", "taskmaster", ".taskmaster")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "imported 4 task(s) from .taskmaster/tasks: 4 new, 0 updated, 0 unchanged"
        " (2 done in the source)\n"
    )
    tasks = repo / ".agents/tasks"
    head = git(repo, "rev-parse", "HEAD").strip()  # planned at the commit it was imported at
    assert sorted(p.name for p in tasks.glob("*.md")) == [
        "tm-1.md", "tm-2.1.md", "tm-2.2.md", "tm-2.md"
    ]  # fmt: skip
    assert (tasks / "tm-1.md").read_text() == (
        "---\ntitle: Set up the project\nstatus: done\npriority: high\ndepends_on: []\n"
        f"source: .taskmaster/tasks#master/1\nimported_as: done\nplanned_at: {head}\n---\n"
        "## Goal\n\nMake the skeleton\n\n"
        "## Details\n\nCreate the folders.\n# not a header: a line of the details\n\n"
        "## Test strategy\n\nThe build passes.\n\n"
        "## Notes\n\n- source: .taskmaster/tasks#master/1\n- status in the source: done\n"
        "- id in Task Master: 1 (tag master)\n"
    )
    two = (tasks / "tm-2.md").read_text()
    assert "status: active\n" in two
    assert "depends_on: [tm-2.1, tm-2.2, tm-1]\n" in two
    sub = (tasks / "tm-2.2.md").read_text()
    assert "title: Report errors\n" in sub
    assert "status: todo\n" in sub
    assert "depends_on: [tm-2.1]\n" in sub
    assert "## Goal\n\nAt their line\n" in sub
    assert "## Details" not in sub  # an empty block writes no section
    assert "## Details\n\nUTF-8 only.\n" in (tasks / "tm-2.1.md").read_text()
    assert cli(repo, "check").exit_code == 0
    again = cli(repo, "import", "taskmaster", ".taskmaster/tasks")
    assert again.stdout.startswith("imported 4 task(s) from .taskmaster/tasks: 0 new, 0 updated")


def test_one_export_file_and_a_tag_from_its_name(repo):
    init(repo)
    folder = repo / "tasks"
    folder.mkdir()
    (folder / "task_003_feature.txt").write_text(TASK_1.replace("ID: 1", "ID: 3"))
    result = cli(repo, "import", "taskmaster", "tasks/task_003_feature.txt")
    assert result.exit_code == 0, result.output
    # the only tag is the current one, as in a tasks.json of one tag: tm-3, not tm-feature-3
    text = (repo / ".agents/tasks/tm-3.md").read_text()
    assert "source: tasks#feature/3\n" in text
    assert "- id in Task Master: 3 (tag feature)\n" in text


def test_tasks_json_is_preferred_to_its_exports(repo):
    init(repo)
    folder = exports(repo)
    (folder / "tasks.json").write_text(
        json.dumps({"master": {"tasks": [{"id": 1, "title": "From JSON", "status": "pending"}]}})
    )
    result = cli(repo, "import", "taskmaster", ".taskmaster")
    assert result.stdout == (
        "imported 1 task(s) from .taskmaster/tasks/tasks.json: 1 new, 0 updated, 0 unchanged"
        " (0 done in the source)\n"
    )
    assert "title: From JSON\n" in (repo / ".agents/tasks/tm-1.md").read_text()


def test_a_txt_file_that_is_no_export_is_refused_at_its_line(repo):
    init(repo)
    folder = exports(repo)
    (folder / "task_009.txt").write_text("some notes\n")
    result = cli(repo, "import", "taskmaster", ".taskmaster")
    assert result.exit_code == 1
    assert result.stderr.startswith(
        ".taskmaster/tasks/task_009.txt:1:1: error not-a-task-file: no '# Task ID:' line: "
        "not a file `task-master generate` wrote\n"
        "  hint: name the folder of task_001.txt files, or tasks.json\n"
        "agentmd: note: 1 task(s) in progress in .taskmaster/tasks were imported as active"
    )
    assert result.stdout.endswith("(2 done in the source); 1 refused\n")
    assert len(list((repo / ".agents/tasks").glob("*.md"))) == 4


def test_a_folder_with_neither_says_what_it_looked_for(repo):
    init(repo)
    (repo / "empty").mkdir()
    result = cli(repo, "import", "taskmaster", "empty")
    assert result.exit_code == 2
    assert "empty:1:1: error not-found: no tasks.json and no task_001.txt in this folder" in (
        result.stderr
    )


def corpus_exports() -> dict[str, list[list[str]]]:
    if not (CORPUS / "MANIFEST.tsv").is_file():
        return {}
    by_repo: dict[str, list[list[str]]] = {}
    with open(CORPUS / "MANIFEST.tsv", encoding="utf-8") as handle:
        for row in csv.reader(handle, delimiter="\t"):
            if row[0].startswith("taskmaster/") and row[0].endswith(".txt"):
                by_repo.setdefault(row[1], []).append(row)
    return by_repo


EXPORTS = corpus_exports()


@pytest.mark.skipif(not EXPORTS, reason="../shared/corpus is not here (a clone without it)")
@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_every_task_master_export_of_the_corpus(repo, name):
    """Each repository's txt files in their own folder (symlinks to the corpus), no tasks.json."""
    init(repo)
    tasks = done = 0
    for row in EXPORTS[name]:
        link = repo / "exports" / row[2].rsplit("/", 1)[-1]
        link.parent.mkdir(exist_ok=True)
        link.symlink_to(CORPUS / row[0])
        text = (CORPUS / row[0]).read_text(encoding="utf-8")
        subs = re.findall(r"^## \d+\. .*?(?: \[([^\]]*)\])?\s*$", text, re.M)
        tasks += 1 + len(subs)
        done += (re.search(r"^# Status: done\s*$", text, re.M) is not None) + subs.count("done")
    result = cli(repo, "import", "taskmaster", "exports")
    assert result.exit_code == 0, result.output
    texts = [p.read_text() for p in (repo / ".agents/tasks").glob("*.md")]
    assert len(texts) == tasks
    assert sum("\nstatus: done\n" in t for t in texts) == done
    check = cli(repo, "check")
    assert check.exit_code == 0, check.output
