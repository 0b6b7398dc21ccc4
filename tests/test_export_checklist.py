"""`agentmd export checklist`: the plan as one deterministic page; `check` warns when a
committed copy is stale; a checklist imported, one task worked to done through the CLI, and
exported again shows that task checked and nothing else changed."""

from __future__ import annotations

from agentmd import clock
from conftest import cli, git

TODO = """\
# Plan

## Completed

- [x] Write the parser

## In Progress

- [ ] Write the printer

## Pending

- [ ] Ship it
- [ ] Write the docs
"""
HANDOFF = """\
---
task: write-the-docs
status: done
base: {base}
---
## Summary

Wrote `docs/usage.md` with the two commands.

## Completed

- `docs/usage.md`: the usage page

## Remaining

None

## Decisions

- One page only: the tool has two commands.

## Gotchas

None

## Next action

Ship it.

## Artifacts

- docs/usage.md

## Verification

- `test -f docs/usage.md`: exit 0
"""


NOW = clock.stamp()  # the import's, which an active task's claim dates from


def imported(repo):
    assert cli(repo, "init").exit_code == 0
    (repo / "TODO.md").write_text(TODO)
    # (in progress in TODO.md: claimed by nobody from the import's time, within its lease)
    assert cli(repo, "import", "checklist", "TODO.md", env={"AGENTMD_NOW": NOW}).exit_code == 0
    ship = repo / ".agents/tasks/ship-it.md"
    ship.write_text(ship.read_text().replace("depends_on: []", "depends_on: [write-the-printer]"))
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "imported")
    return repo


PAGE = """\
# Plan: repo

<!-- agentmd export checklist: written from .agents/tasks; edit those, not this page -->

## Completed (1)

- [x] `write-the-parser` Write the parser (imported from TODO.md#write-the-parser)

## In Progress (1)

- [ ] `write-the-printer` Write the printer (since {now})

## Pending (2)

- [ ] `write-the-docs` Write the docs (ready)
- [ ] `ship-it` Ship it (depends on 'write-the-printer' (active))
"""


def test_export_prints_the_plan_as_one_page_the_same_every_time(repo):
    imported(repo)
    first = cli(repo, "export", "checklist")
    assert first.exit_code == 0, first.output
    assert first.stdout == PAGE.format(now=NOW)
    assert cli(repo, "export", "checklist").stdout == first.stdout


def test_export_for_github_has_a_count_line_and_smaller_headings(repo):
    imported(repo)
    result = cli(repo, "export", "checklist", "--format", "github")
    assert result.stdout.startswith(
        "**Plan: repo**: 1 done, 1 in progress, 1 ready, 1 waiting\n\n### Completed (1)\n"
    )
    assert "# Plan" not in result.stdout.replace("**Plan", "")


def test_check_warns_when_the_committed_page_is_stale(repo):
    imported(repo)
    result = cli(repo, "export", "checklist", "-o", "PLAN.md")
    assert result.exit_code == 0
    assert result.stdout == "wrote PLAN.md\n"
    assert "hint: add 'checklist: PLAN.md' to .agents/plan.md" in result.stderr
    plan = repo / ".agents/plan.md"
    plan.write_text(plan.read_text().replace("---\n", "---\nchecklist: PLAN.md\n", 1))
    fresh = cli(repo, "check")
    assert fresh.exit_code == 0, fresh.output
    assert "checklist-stale" not in fresh.output
    assert "ok: " in fresh.output
    docs = repo / ".agents/tasks/write-the-docs.md"
    docs.write_text(docs.read_text().replace("status: todo", "status: blocked"))
    stale = cli(repo, "check")
    assert stale.exit_code == 0
    assert stale.stdout.startswith(
        "PLAN.md:1:1: warning checklist-stale: the plan changed since this page was exported\n"
        "  hint: agentmd export checklist -o PLAN.md\n"
    )


def test_round_trip_one_task_worked_to_done_changes_only_its_line(repo, monkeypatch):
    imported(repo)
    monkeypatch.setenv("AGENTMD_NOW", "2026-11-21T08:00:00Z")
    before = cli(repo, "export", "checklist").stdout
    docs = repo / ".agents/tasks/write-the-docs.md"
    docs.write_text(
        docs.read_text().replace(
            "depends_on: []", "depends_on: []\nverify: [test -f docs/usage.md]"
        )
    )
    git(repo, "commit", "-qam", "verify")
    assert cli(repo, "claim", "write-the-docs", "--as", "ana").exit_code == 0
    base = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "commit", "-qam", "claim")
    (repo / "docs").mkdir()
    (repo / "docs/usage.md").write_text("# Usage\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "docs")
    assert cli(repo, "verify", "write-the-docs").exit_code == 0
    (repo / ".agents/handoffs/2026-11-21-write-the-docs.md").write_text(HANDOFF.format(base=base))
    done = cli(repo, "done", "write-the-docs")
    assert done.exit_code == 0, done.output
    after = cli(repo, "export", "checklist").stdout
    assert after == before.replace(
        "## Completed (1)\n\n",
        "## Completed (2)\n\n- [x] `write-the-docs` Write the docs (by ana): Wrote "
        "`docs/usage.md` with the two commands.\n",
    ).replace("## Pending (2)", "## Pending (1)").replace(
        "- [ ] `write-the-docs` Write the docs (ready)\n", ""
    )
    assert cli(repo, "check").exit_code == 0
