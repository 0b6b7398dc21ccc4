"""`agentmd import`: each format from hand-written sources, ids, `source:`, a second import
that updates surgically, dry runs, located refusals, and `check` passing on the result."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import cli, git

BACKLOG_CONFIG = (
    'project_name: "demo"\ndefault_status: "To Do"\nstatuses: ["To Do", "In Progress", "Done"]\n'
)
BACKLOG_TASK = """\
---
id: back-7
title: Parse the config
status: In Progress
assignee:
  - '@ana'
created_date: '2026-01-02 10:00'
labels: [core, Parser]
dependencies: [back-6]
priority: high
milestone: M1
ordinal: 3000
---

## Description

<!-- SECTION:DESCRIPTION:BEGIN -->
Read config.yml into a typed value.
<!-- SECTION:DESCRIPTION:END -->

## Acceptance Criteria
<!-- AC:BEGIN -->
- [x] #1 reads statuses
- [ ] #2 reports bad YAML at its line
<!-- AC:END -->
"""
BACKLOG_DONE = """\
---
id: back-6
title: Set up the project
status: Done
dependencies: []
---

Done long ago.
"""


def names(repo: Path) -> list[str]:
    return sorted(p.name for p in (repo / ".agents/tasks").glob("*.md"))


def init(repo: Path) -> Path:
    assert cli(repo, "init").exit_code == 0
    return repo


def backlog(repo: Path) -> Path:
    folder = repo / "backlog"
    (folder / "tasks").mkdir(parents=True)
    (folder / "completed").mkdir()
    (folder / "drafts").mkdir()
    (folder / "config.yml").write_text(BACKLOG_CONFIG)
    (folder / "tasks" / "back-7 - Parse-the-config.md").write_text(BACKLOG_TASK)
    (folder / "completed" / "back-6 - Set-up-the-project.md").write_text(BACKLOG_DONE)
    (folder / "drafts" / "draft-1 - Maybe-later.md").write_text(
        "---\nid: draft-1\ntitle: Maybe later\nstatus: Draft\n---\n"
    )
    return folder


def test_backlog_folder_is_imported_with_mapped_fields_and_notes(repo, monkeypatch):
    monkeypatch.setenv("AGENTMD_NOW", "2026-12-01T10:00:00Z")
    init(repo)
    backlog(repo)
    result = cli(repo, "import", "backlog", "backlog")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "imported 3 task(s) from backlog: 3 new, 0 updated, 0 unchanged (1 done in the source)\n"
    )
    # In progress in the source: claimed by nobody from now, so the plan's lease runs out
    # (with no claimed_at it never did, and the loop waited on the task forever)
    assert result.stderr == (
        "agentmd: note: 1 task(s) in progress in backlog were imported as active, claimed by "
        "nobody (back-7): nothing hands them out until their lease (2h) runs out; 'agentmd "
        "release ID' hands one back now\n"
    )
    head = git(repo, "rev-parse", "HEAD").strip()  # planned_at: the commit it was imported at
    assert (
        (repo / ".agents/tasks/back-7.md").read_text()
        == f"""\
---
title: Parse the config
status: active
priority: high
depends_on: [back-6]
tags: [core, parser]
created: 2026-01-02
source: backlog#back-7
imported_as: active
claimed_at: 2026-12-01T10:00:00Z
planned_at: {head}
---
## Goal

Read config.yml into a typed value.

## Acceptance criteria

- [x] reads statuses
- [ ] reports bad YAML at its line

## Notes

- source: backlog#back-7
- status in the source: In Progress
- id in Backlog.md: back-7
- assignee: @ana
- milestone: M1
- ordinal: 3000
"""
    )
    draft = (repo / ".agents/tasks/draft-1.md").read_text()
    assert "status: blocked\n" in draft
    assert (
        'blocked_reason: "a draft in Backlog.md"\n' in draft or "blocked_reason: a draft" in draft
    )
    check = cli(repo, "check")
    assert check.exit_code == 0, check.output
    assert "handoff-missing" not in check.output
    assert "ok: " in check.output


def test_second_import_changes_only_what_the_source_changed(repo):
    init(repo)
    folder = backlog(repo)
    assert cli(repo, "import", "backlog", "backlog").exit_code == 0
    task_file = repo / ".agents/tasks/back-7.md"
    # a hand edit in agentmd's copy, and a change in the source
    edited = task_file.read_text().replace("## Notes\n", "My own words.\n\n## Notes\n")
    task_file.write_text(edited)
    source = folder / "tasks" / "back-7 - Parse-the-config.md"
    source.write_text(BACKLOG_TASK.replace("priority: high", "priority: low"))
    again = cli(repo, "import", "backlog", "backlog")
    assert again.exit_code == 0, again.output
    assert again.stdout == (
        "imported 3 task(s) from backlog: 0 new, 1 updated, 2 unchanged (1 done in the source)\n"
    )
    assert task_file.read_text() == edited.replace("priority: high", "priority: low")
    assert names(repo) == [
        "back-6.md",
        "back-7.md",
        "draft-1.md",
    ]


def test_reimport_keeps_work_done_in_agentmd_unless_the_source_status_moved(repo):
    init(repo)
    folder = backlog(repo)
    assert cli(repo, "import", "backlog", "backlog").exit_code == 0
    draft_file = repo / ".agents/tasks/draft-1.md"
    text = draft_file.read_text().replace("status: blocked", "status: todo")
    draft_file.write_text(text)  # a person unblocked it here
    assert cli(repo, "import", "backlog", "backlog").stdout.endswith(
        "0 updated, 3 unchanged (1 done in the source)\n"
    )
    assert draft_file.read_text() == text
    (folder / "drafts" / "draft-1 - Maybe-later.md").write_text(
        "---\nid: draft-1\ntitle: Maybe later\nstatus: Done\n---\n"
    )
    cli(repo, "import", "backlog", "backlog")
    after = draft_file.read_text()
    assert "status: done\n" in after
    assert "imported_as: done\n" in after
    assert "blocked_reason" not in after
    assert after.startswith("---\ntitle: Maybe later\nstatus: done\n")


def test_dry_run_prints_the_files_and_writes_nothing(repo):
    init(repo)
    backlog(repo)
    result = cli(repo, "import", "backlog", "backlog", "--dry-run")
    assert result.exit_code == 0
    assert (
        "would write .agents/tasks/back-6.md (new):\n  ---\n  title: Set up the project\n"
        in result.stdout
    )
    assert result.stdout.endswith(
        "would import 3 task(s) from backlog: 3 new, 0 updated, 0 unchanged"
        " (1 done in the source)\n"
    )
    assert names(repo) == []
    assert "import" not in (repo / ".agents/memory/log.md").read_text()


def test_unreadable_backlog_file_is_refused_at_its_line_and_the_rest_imported(repo):
    init(repo)
    folder = backlog(repo)
    (folder / "tasks" / "back-9 - Broken.md").write_text("---\nid: back-9\nlabels: [a, b\n---\n")
    (folder / "tasks" / "notes.md").write_text("just notes\n")
    (folder / "tasks" / "back-10 - Latin.md").write_bytes(
        b"---\nid: back-10\ntitle: caf\xe9\n---\n"
    )
    result = cli(repo, "import", "backlog", "backlog")
    assert result.exit_code == 1
    assert (
        "backlog/tasks/back-9 - Broken.md:3:9: error yaml: front matter is not valid YAML: "
        "the '[' here is never closed" in result.stderr
    )
    assert (
        "backlog/tasks/notes.md:1:1: error not-a-task: no front matter and no id in the file name"
        in result.stderr
    )
    assert "backlog/tasks/back-10 - Latin.md:" in result.stderr
    assert "not UTF-8" in result.stderr
    assert result.stdout.endswith("(1 done in the source); 3 refused\n")
    assert (repo / ".agents/tasks/back-7.md").exists()


def test_backlog_value_with_an_at_sign_is_read_as_quoted_with_a_warning(repo):
    init(repo)
    folder = backlog(repo)
    (folder / "tasks" / "back-8 - At.md").write_text(
        "---\nid: back-8\ntitle: At\nstatus: To Do\nassignee: @ana\n---\n"
    )
    result = cli(repo, "import", "backlog", "backlog")
    assert result.exit_code == 0, result.output
    assert "back-8 - At.md:5:1: warning yaml-quoted: read as if quoted the value" in result.stderr
    assert "- assignee: @ana\n" in (repo / ".agents/tasks/back-8.md").read_text()


TASKS_JSON = {
    "master": {
        "tasks": [
            {
                "id": 1,
                "title": "Scaffold",
                "description": "Create the package.",
                "details": "Use a src layout.",
                "testStrategy": "pytest runs.",
                "status": "done",
                "priority": "high",
                "dependencies": [],
                "subtasks": [],
            },
            {
                "id": 2,
                "title": "Parser",
                "description": "Parse input.",
                "status": "in-progress",
                "priority": "medium",
                "dependencies": ["1"],
                "complexity": 7,
                "subtasks": [
                    {"id": 1, "title": "Tokens", "status": "done", "dependencies": []},
                    {"id": 2, "title": "Tree", "status": "pending", "dependencies": [1, "2.1", 1]},
                ],
            },
            {"id": 3, "title": "Later", "status": "deferred", "dependencies": [2, 99]},
        ],
        "metadata": {"created": "2026-01-01"},
    },
    "feature-x": {"tasks": [{"id": 1, "title": "Spike", "status": "pending", "dependencies": []}]},
}


def test_taskmaster_tagged_file_with_subtasks_and_both_kinds_of_dependencies(repo):
    init(repo)
    path = repo / ".taskmaster/tasks/tasks.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(TASKS_JSON, indent=2))
    result = cli(repo, "import", "taskmaster", ".taskmaster/tasks/tasks.json")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "imported 6 task(s) from .taskmaster/tasks/tasks.json: 6 new, 0 updated, 0 unchanged"
        " (2 done in the source)\n"
    )
    tasks = sorted(n[:-3] for n in names(repo))
    assert tasks == ["tm-1", "tm-2", "tm-2.1", "tm-2.2", "tm-3", "tm-feature-x-1"]
    parser = (repo / ".agents/tasks/tm-2.md").read_text()
    assert "status: active\n" in parser
    assert "depends_on: [tm-2.1, tm-2.2, tm-1]\n" in parser
    assert "- complexity: 7\n" in parser
    assert "depends_on: [tm-2.1]\n" in (repo / ".agents/tasks/tm-2.2.md").read_text()
    later = (repo / ".agents/tasks/tm-3.md").read_text()
    assert "depends_on: [tm-2]\n" in later
    assert "- depends on 99 (not in this import)\n" in later
    assert (
        'blocked_reason: "deferred in Task Master"' in later or "blocked_reason: deferred" in later
    )
    assert ".taskmaster/tasks/tasks.json:" in result.stderr
    assert "warning dependency-dropped: tm-3 depends on '99'" in result.stderr
    scaffold = (repo / ".agents/tasks/tm-1.md").read_text()
    assert "## Details\n\nUse a src layout.\n\n## Test strategy\n\npytest runs.\n" in scaffold
    assert cli(repo, "check").exit_code == 0


def test_taskmaster_legacy_file_and_broken_json(repo):
    init(repo)
    (repo / "tasks").mkdir()
    (repo / "tasks/tasks.json").write_text(json.dumps({"tasks": TASKS_JSON["feature-x"]["tasks"]}))
    assert cli(repo, "import", "taskmaster", ".").stdout.startswith(
        "imported 1 task(s) from tasks/tasks.json"
    )
    assert (repo / ".agents/tasks/tm-1.md").exists()
    (repo / "bad.json").write_text('{"tasks": [\n  {"id": 1,}\n]}\n')
    result = cli(repo, "import", "taskmaster", "bad.json")
    assert result.exit_code == 2
    assert result.stderr.startswith("bad.json:2:12: error json: not valid JSON: ")


SPECKIT = """\
# Tasks: demo

## Phase 1: Setup

- [x] T001 Create project structure
- [ ] T002 [P] [US1] Write the model in src/model.py
- [ ] T003 [US1] Wire the model (depends on T001, T002)
  - [ ] returns 200
- [ ] T004 Polish T002-T003

```markdown
- [ ] T999 an example, not a task
```
"""


def test_speckit_tasks_with_parallel_marks_stories_and_references(repo):
    init(repo)
    (repo / "tasks.md").write_text(SPECKIT)
    result = cli(repo, "import", "speckit", "tasks.md")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("imported 4 task(s) from tasks.md: 4 new")
    t2 = (repo / ".agents/tasks/t002.md").read_text()
    assert "tags: [us1, parallel]\n" in t2
    assert "depends_on: []\n" in t2
    t3 = (repo / ".agents/tasks/t003.md").read_text()
    assert "depends_on: [t002, t001]\n" in t3
    assert "## Acceptance criteria\n\n- [ ] returns 200\n" in t3
    assert "depends_on: [t003, t002]\n" in (repo / ".agents/tasks/t004.md").read_text()
    assert not (repo / ".agents/tasks/t999.md").exists()
    assert (repo / ".agents/tasks/t001.md").exists()
    assert cli(repo, "check").exit_code == 0


KIRO = """\
# Implementation Plan

- [x] 1. Set up the project
  - Create folders
  - _Requirements: 1.1, 2.3_

- [ ] 2. Build the API
- [x] 2.1 Routes
- [-] 2.2 Handlers
  - [ ]* 2.3 Property tests
"""


def test_kiro_numbered_items_nesting_and_requirements(repo):
    init(repo)
    (repo / "tasks.md").write_text(KIRO)
    result = cli(repo, "import", "kiro", "tasks.md")
    assert result.exit_code == 0, result.output
    assert sorted(n[:-3] for n in names(repo)) == [
        "kiro-1", "kiro-2", "kiro-2.1", "kiro-2.2", "kiro-2.3",
    ]  # fmt: skip
    one = (repo / ".agents/tasks/kiro-1.md").read_text()
    assert "## Goal\n\n- Create folders\n\n## Notes" in one
    assert "- requirements: 1.1, 2.3\n" in one
    assert "depends_on: [kiro-2.1, kiro-2.2]\n" in (repo / ".agents/tasks/kiro-2.md").read_text()
    handlers = (repo / ".agents/tasks/kiro-2.2.md").read_text()
    assert "status: active\n" in handlers
    assert "depends_on: [kiro-2.3]\n" in handlers
    assert "tags: [optional]\n" in (repo / ".agents/tasks/kiro-2.3.md").read_text()
    assert cli(repo, "check").exit_code == 0


CHECKLIST = """\
# Plan

## Completed

- [x] Write the parser

## In Progress

- [ ] Write the **printer**
  - [ ] colours
  - [x] widths

## Pending

- [ ] Ship it
    with a changelog
"""


def test_checklist_states_from_box_and_heading_and_nesting(repo, monkeypatch):
    monkeypatch.setenv("AGENTMD_NOW", "2026-12-01T10:00:00Z")
    init(repo)
    (repo / "TODO.md").write_text(CHECKLIST)
    result = cli(repo, "import", "checklist", "TODO.md")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "imported 5 task(s) from TODO.md: 5 new, 0 updated, 0 unchanged (2 done in the source)\n"
    )
    printer = (repo / ".agents/tasks/write-the-printer.md").read_text()
    assert printer.startswith(
        "---\ntitle: Write the printer\nstatus: active\npriority: medium\n"
        "depends_on: [colours, widths]\nsource: TODO.md#write-the-printer\n"
        "imported_as: active\nclaimed_at: 2026-12-01T10:00:00Z\n"
        f"planned_at: {git(repo, 'rev-parse', 'HEAD').strip()}\n---\n"
    )
    assert "- under: Plan > In Progress\n- line in the source: 9\n" in printer
    assert "status: todo\n" in (repo / ".agents/tasks/colours.md").read_text()
    # a sentence wrapped onto the next line is the title's, as Markdown reads it; the task keeps
    # the id of its own line (what an import before this one made of it)
    ship = (repo / ".agents/tasks/ship-it.md").read_text()
    assert ship.startswith("---\ntitle: Ship it with a changelog\n")
    assert "## Goal\n\nwith a changelog\n" not in ship
    assert cli(repo, "check").exit_code == 0


def test_a_wrapped_item_is_one_title_and_a_line_of_its_own_after_it_its_goal(repo):
    # (jlevy's TODO.md: "... pre-0.7.0 clients refuse" as the title, "upgraded repositories,
    # and ..." as its Goal)
    init(repo)
    (repo / "TODO.md").write_text(
        "# Plan\n\n"
        "- [ ] Release notes lead with the two facts: old clients refuse\n"
        "  upgraded repositories, and `setup --auto` is required\n"
        "- [ ] Add login\n"
        "  Use OAuth; tokens go in the keychain.\n"
    )
    assert cli(repo, "import", "checklist", "TODO.md").exit_code == 0
    notes = (repo / ".agents/tasks/release-notes-lead-with-the-two-facts-old-clients-refuse.md")
    assert notes.read_text().startswith(
        '---\ntitle: "Release notes lead with the two facts: old clients refuse upgraded '
        'repositories, and `setup --auto` is required"\n'
    )
    login = (repo / ".agents/tasks/add-login.md").read_text()
    assert login.startswith("---\ntitle: Add login\n")
    assert "Use OAuth; tokens go in the keychain." in login.split("## Goal")[1]


def test_an_id_taken_by_a_hand_written_task_gets_a_suffix(repo):
    init(repo)
    assert cli(repo, "add", "Ship it").exit_code == 0
    (repo / "TODO.md").write_text("- [ ] Ship it\n")
    assert cli(repo, "import", "checklist", "TODO.md").exit_code == 0
    assert "source: TODO.md#ship-it\n" in (repo / ".agents/tasks/ship-it-2.md").read_text()
    assert "source:" not in (repo / ".agents/tasks/ship-it.md").read_text()
    assert cli(repo, "import", "checklist", "TODO.md").stdout.endswith(
        "1 unchanged (0 done in the source)\n"
    )


def test_github_issue_list_json_from_a_file(repo):
    init(repo)
    issues = [
        {"number": 12, "title": "Add --json", "body": "Print JSON.", "state": "OPEN",
         "labels": [{"name": "agentmd"}], "assignees": [{"login": "ana"}]},
        {"number": 9, "title": "Old", "body": "", "state": "CLOSED", "labels": [], "assignees": []},
    ]  # fmt: skip
    (repo / "issues.json").write_text(json.dumps(issues))
    result = cli(repo, "import", "github", "issues.json")
    assert result.exit_code == 0, result.output
    text = (repo / ".agents/tasks/gh-12.md").read_text()
    assert "source: github#12\n" in text
    assert "tags: [agentmd]\n" in text
    assert "- assignees: ana\n" in text
    assert "status: done\n" in (repo / ".agents/tasks/gh-9.md").read_text()
    assert cli(repo, "check").exit_code == 0


def test_import_writes_all_or_nothing_when_a_rename_fails(repo, monkeypatch):
    init(repo)
    (repo / "TODO.md").write_text("- [ ] One\n- [ ] Two\n")
    assert cli(repo, "import", "checklist", "TODO.md").exit_code == 0
    one = (repo / ".agents/tasks/one.md").read_text()
    (repo / "TODO.md").write_text("- [x] One\n- [ ] Two\n- [ ] Three\n")
    import agentmd.importers.writer as writer

    real, calls = writer.os.replace, []

    def flaky(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise OSError(28, "No space left on device", str(dst))
        return real(src, dst)

    monkeypatch.setattr(writer.os, "replace", flaky)
    result = cli(repo, "import", "checklist", "TODO.md")
    assert result.exit_code == 2
    assert "No space left on device" in result.stderr
    assert len(calls) == 2
    assert (repo / ".agents/tasks/one.md").read_text() == one
    assert names(repo) == ["one.md", "two.md"]
    assert not [p for p in (repo / ".agents/tasks").iterdir() if p.name.endswith(".tmp")]


def test_imported_done_task_needs_no_handoff_but_one_done_in_agentmd_does(repo):
    init(repo)
    (repo / "TODO.md").write_text("- [x] Old work\n- [ ] New work\n")
    assert cli(repo, "import", "checklist", "TODO.md").exit_code == 0
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "import")
    assert cli(repo, "check").exit_code == 0
    task = repo / ".agents/tasks/new-work.md"
    task.write_text(task.read_text().replace("status: todo", "status: done"))
    check = cli(repo, "check")
    assert check.exit_code == 1
    assert (
        "new-work.md:3:1: error handoff-missing: task 'new-work' is done but has no handoff"
        in check.stdout
    )
    assert "old-work" not in check.stdout


@pytest.mark.parametrize("fmt", ["backlog", "checklist"])
def test_missing_path_is_a_located_error(repo, fmt):
    init(repo)
    result = cli(repo, "import", fmt, "nope")
    assert result.exit_code == 2
    assert result.stderr.startswith("nope:1:1: error ")


def test_a_plain_checklist_is_refused_as_speckit_and_nothing_changes(repo):
    init(repo)
    (repo / "TODO.md").write_text(CHECKLIST)
    assert cli(repo, "import", "checklist", "TODO.md").exit_code == 0
    before = {n: (repo / ".agents/tasks" / n).read_text() for n in names(repo)}
    result = cli(repo, "import", "speckit", "TODO.md")
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "TODO.md:5:1: error not-speckit: no speckit task line ('- [ ] T001 Description') in "
        "this file\n  hint: for any checklist: agentmd import checklist TODO.md\n"
    )
    assert {n: (repo / ".agents/tasks" / n).read_text() for n in names(repo)} == before


def test_checklist_ids_keep_no_dots_of_a_title(repo):
    init(repo)
    (repo / "TODO.md").write_text("- [ ] Deprecate `want_bytes` in `encoding.py`\n")
    assert cli(repo, "import", "checklist", "TODO.md").exit_code == 0
    assert names(repo) == ["deprecate-want-bytes-in-encoding-py.md"]


def test_the_commit_hook_takes_tasks_imported_as_done_without_handoffs(repo):
    import subprocess

    init(repo)
    assert cli(repo, "hooks", "install").exit_code == 0
    (repo / "TODO.md").write_text("- [x] Old work\n- [ ] New work\n")
    assert cli(repo, "import", "checklist", "TODO.md").exit_code == 0
    git(repo, "add", "-A")
    ok = subprocess.run(
        ["git", "commit", "-qm", "import"], cwd=repo, capture_output=True, text=True
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    task = repo / ".agents/tasks/new-work.md"
    task.write_text(task.read_text().replace("status: todo", "status: done"))
    git(repo, "add", "-A")
    refused = subprocess.run(
        ["git", "commit", "-qm", "done?"], cwd=repo, capture_output=True, text=True
    )
    assert refused.returncode != 0
    assert "handoff-missing: task 'new-work' is staged as done" in refused.stdout + refused.stderr
    assert "old-work" not in refused.stdout + refused.stderr


def test_a_task_the_source_moves_into_progress_gets_its_claims_time_once(repo, monkeypatch):
    init(repo)
    path = repo / ".taskmaster/tasks/tasks.json"
    path.parent.mkdir(parents=True)
    tasks = [{"id": 1, "title": "Spike", "status": "pending", "dependencies": []}]
    path.write_text(json.dumps({"tasks": tasks}))
    assert cli(repo, "import", "taskmaster", str(path)).exit_code == 0
    task = repo / ".agents/tasks/tm-1.md"
    assert "claimed_at" not in task.read_text()
    tasks[0]["status"] = "in-progress"
    path.write_text(json.dumps({"tasks": tasks}))
    monkeypatch.setenv("AGENTMD_NOW", "2026-12-01T10:00:00Z")
    moved = cli(repo, "import", "taskmaster", str(path))
    assert "status: active\n" in task.read_text()
    assert "claimed_at: 2026-12-01T10:00:00Z\n" in task.read_text()
    assert "1 task(s) in progress in" in moved.stderr and "(tm-1)" in moved.stderr
    monkeypatch.setenv("AGENTMD_NOW", "2026-12-01T11:00:00Z")
    again = cli(repo, "import", "taskmaster", str(path))  # unchanged: its claim's time stays
    assert again.stdout.endswith("0 new, 0 updated, 1 unchanged (0 done in the source)\n")
    assert "claimed_at: 2026-12-01T10:00:00Z\n" in task.read_text()
    assert "in progress" not in again.stderr


def test_a_dependency_cycle_the_import_breaks_is_warned_of(repo):
    # (the warning was added after the warnings had been printed: the cycle was broken silently)
    init(repo)
    path = repo / "tasks.json"
    path.write_text(
        json.dumps(
            {
                "tasks": [
                    {"id": 4, "title": "A", "status": "pending", "dependencies": [5]},
                    {"id": 5, "title": "B", "status": "pending", "dependencies": [4]},
                ]
            }
        )
    )
    result = cli(repo, "import", "taskmaster", "tasks.json")
    assert result.exit_code == 0, result.output
    assert "warning dependency-cycle: tm-5 -> tm-4 closes a dependency cycle: dropped" in (
        result.stderr
    )


def test_a_checklist_item_met_twice_is_imported_twice_with_a_warning_at_the_second(repo):
    init(repo)
    item = "- [ ] Add a `maxLength` option\n"
    (repo / "TODO.md").write_text(f"# Plan\n\n{item}{item}")
    result = cli(repo, "import", "checklist", "TODO.md")
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        "TODO.md:4:1: warning duplicate-id: 'Add a `maxLength` option' a second time: imported "
        "too, as add-a-maxlength-option-2\n"
        "  hint: give the items titles of their own if they are different work\n"
    )
    assert names(repo) == ["add-a-maxlength-option-2.md", "add-a-maxlength-option.md"]


def test_taskmaster_findings_stand_at_their_tasks_lines_after_a_task_with_no_id(repo):
    # (each task took the line of the next "id" key: after one without an id, every finding
    # stood a task too far down)
    init(repo)
    (repo / "tasks.json").write_text(
        '{"tasks": [\n'
        '  {"title": "no id", "status": "pending"},\n'
        '  {"id": 7, "title": "Seven", "status": "pending",\n'
        '   "dependencies": [99]},\n'
        '  {"id": 9, "title": "Nine", "status": "pending", "dependencies": [98],\n'
        '   "subtasks": [\n'
        '     {"title": "sub no id"},\n'
        '     {"id": 1, "title": "s1", "dependencies": [97]}]}\n'
        "]}\n"
    )
    result = cli(repo, "import", "taskmaster", "tasks.json")
    found = [line.split(" ", 1)[0] + " " + line.split(" ")[2] for line in result.stderr.splitlines()
             if line.startswith("tasks.json:")]  # fmt: skip
    assert found == [
        "tasks.json:2:1: no-id:",
        "tasks.json:7:1: no-id:",
        "tasks.json:3:1: dependency-dropped:",
        "tasks.json:5:1: dependency-dropped:",
        "tasks.json:8:1: dependency-dropped:",
    ]
