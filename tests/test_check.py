"""`agentmd check`: every finding located with a hint, the formats, --fix, and the corpus."""

from __future__ import annotations

import json
import os

import pytest
import yaml

from agentmd.files import frontmatter
from conftest import CORPUS, cli, git


def write(root, rel, text):
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def task(title="A task", status="todo", extra=""):
    return (
        f"---\ntitle: {title}\nstatus: {status}\npriority: medium\n{extra}---\n## Goal\n\nDo it.\n"
    )


def test_check_passes_on_the_example_plan(example):
    result = cli(example, "check")
    assert result.exit_code == 0, result.output
    assert "error" not in result.stdout
    assert "warning handoff-base-missing" in result.stdout
    # 13 Markdown files under .agents/, the always-rule among them counted once
    assert result.stderr.endswith("0 error(s), 5 warning(s) in 13 file(s) checked\n")


def test_check_outside_a_workspace_says_how_to_start(tmp_path):
    result = cli(tmp_path, "check")
    assert result.exit_code == 2
    assert "no .agents/ folder" in result.stderr


def test_unquoted_at_sign_is_located_with_the_quoting_fix(example):
    write(
        example, ".agents/tasks/owner.md", "---\ntitle: Owner\nowner: @alice\nstatus: todo\n---\n"
    )
    result = cli(example, "check")
    assert result.exit_code == 1
    assert (
        ".agents/tasks/owner.md:3:8: error yaml: front "
        "matter is not valid YAML: found character that "
        "cannot start any token\n  hint: a value cannot "
        "start with '@': quote the value: owner: \"@alice\"\n"
    ) in result.stdout


def test_task_findings_each_at_their_line(example):
    write(
        example,
        ".agents/tasks/bad.md",
        task(
            status="Doing",
            extra=(
                "priorty: high\n"
                "depends_on: [tokenizer, nosuch]\n"
                "outputs: [/etc/passwd, ../outside.txt]\n"
            ),
        ),
    )
    write(example, ".agents/tasks/bare.md", "# Just a heading\n\nNo front matter here.\n")
    result = cli(example, "check")
    assert result.exit_code == 1
    out = result.stdout
    assert (
        ".agents/tasks/bad.md:3:1: error bad-status: status 'Doing' "
        "is not one of todo, active, review, done, failed, blocked\n"
        in out
    )
    assert (
        ".agents/tasks/bad.md:5:1: error unknown-key: unknown key 'priorty' "
        "(did you mean 'priority'?)\n  hint: rename it to 'priority'\n"
        in out
    )
    assert (
        ".agents/tasks/bad.md:6:1: error dangling-dependency: "
        "depends on 'nosuch', which is not a task\n"
        in out
    )
    assert (
        ".agents/tasks/bad.md:7:1: error path-escapes: outputs '/etc/passwd' is absolute\n" in out
    )
    assert (
        ".agents/tasks/bad.md:7:1: error path-escapes: outputs "
        "'../outside.txt' climbs out of the repository with '..'\n"
        in out
    )
    assert (
        ".agents/tasks/bare.md:1:1: error task-no-frontmatter: task file has no front matter\n"
        in out
    )


def test_an_unknown_key_with_no_near_miss_is_only_a_warning(example):
    write(example, ".agents/tasks/custom.md", task(extra="estimate_hours: 3\n"))
    result = cli(example, "check")
    assert result.exit_code == 0, result.output
    assert (
        ".agents/tasks/custom.md:5:1: warning unknown-key: unknown key 'estimate_hours'\n"
        in result.stdout
    )


def test_wrong_types_and_a_bad_priority(example):
    write(
        example,
        ".agents/tasks/types.md",
        task(extra="depends_on: 3\nverify: {a: b}\nattempts: many\n").replace(
            "priority: medium", "priority: urgent"
        ),
    )
    out = cli(example, "check").stdout
    assert (
        ".agents/tasks/types.md:4:1: error bad-priority: "
        "priority 'urgent' is not one of high, medium, low\n"
        in out
    )
    assert (
        ".agents/tasks/types.md:5:1: error bad-type: 'depends_on' should be a list, not a number\n"
        in out
    )
    assert (
        ".agents/tasks/types.md:6:1: error bad-type: 'verify' should be a list, not a mapping\n"
        in out
    )
    assert (
        ".agents/tasks/types.md:7:1: error bad-type: 'attempts' should be a whole number >= 0\n"
        in out
    )


def test_a_dependency_cycle_is_printed_round(example):
    write(example, ".agents/tasks/a.md", task(extra="depends_on: [b]\n"))
    write(example, ".agents/tasks/b.md", task(extra="depends_on: [c]\n"))
    write(example, ".agents/tasks/c.md", task(extra="depends_on: [a]\n"))
    out = cli(example, "check").stdout
    assert (
        ".agents/tasks/a.md:5:1: error dependency-cycle: dependency cycle: a -> b -> c -> a\n"
        in out
    )


def test_conflict_markers_are_found_but_a_heading_underline_is_not(example):
    write(
        example,
        ".agents/memory/decisions/merge.md",
        (
            "---\ntitle: Merge\n---\nTitle\n=======\n\n<<<<<<< "
            "HEAD\nours\n=======\ntheirs\n>>>>>>> branch\n"
        ),
    )
    out = cli(example, "check").stdout
    found = [line for line in out.splitlines() if "conflict-marker" in line]
    assert found == [
        ".agents/memory/decisions/merge.md:7:1: error "
        "conflict-marker: git conflict marker '<<<<<<<'",
        ".agents/memory/decisions/merge.md:9:1: error "
        "conflict-marker: git conflict marker '======='",
        ".agents/memory/decisions/merge.md:11:1: error "
        "conflict-marker: git conflict marker '>>>>>>>'",
    ]


def test_a_task_in_review_without_a_handoff_is_an_error(example):
    path = example / ".agents/tasks/tokenizer.md"
    path.write_text(path.read_text().replace("status: todo", "status: review"))
    out = cli(example, "check").stdout
    assert (
        ".agents/tasks/tokenizer.md:3:1: error handoff-missing: "
        "task 'tokenizer' is review but has no handoff\n"
        "  hint: write one with 'agentmd handoff new tokenizer', fill it, then "
        "'agentmd handoff check'\n"
    ) in out


def test_an_expired_lease_is_a_warning(example, monkeypatch):
    monkeypatch.setenv("AGENTMD_NOW", "2026-11-20T15:00:00Z")
    write(
        example,
        ".agents/tasks/old.md",
        task(
            status="active",
            extra=("claimed_by: bob\nclaimed_at: 2026-11-20T10:00:00Z\nlease: 2h\n"),
        ),
    )
    result = cli(example, "check")
    assert result.exit_code == 0
    assert (
        ".agents/tasks/old.md:6:1: warning lease-expired: the "
        "claim by bob at 2026-11-20T10:00:00Z expired after 2h\n"
    ) in result.stdout


def test_always_loaded_files_over_budget_show_each_cost_and_the_total(example):
    write(example, "AGENTS.md", "word " * 600)  # 3,000 characters: 1,000 tokens
    write(example, "pkg/CLAUDE.md", "x" * 30)
    plan = example / ".agents/plan.md"
    plan.write_text(plan.read_text().replace("rules_budget: 500", "rules_budget: 900"))
    out = cli(example, "check").stdout
    assert (
        "AGENTS.md:1:1: warning always-loaded-budget: an agent working at the repository root "
        "loads "
        "1,084 tokens of always-loaded files, over the budget of 900 (AGENTS.md 1,000; "
        ".agents/rules/python-style.md 84)\n"
    ) in out
    assert "pkg/CLAUDE.md" not in out  # the root went over already: one finding, not one per folder


def test_a_ready_task_too_large_for_the_prompt_budget(example):
    plan = example / ".agents/plan.md"
    plan.write_text(plan.read_text().replace("prompt_budget: 0.6", "prompt_budget: 800"))
    path = example / ".agents/tasks/tokenizer.md"
    path.write_text(path.read_text() + "\n" + "Very long notes. " * 300)
    out = cli(example, "check").stdout
    assert (
        ".agents/tasks/tokenizer.md:1:1: error prompt-too-large: "
        "task 'tokenizer' is too large to delegate"
        in out
    )
    assert "  hint: decompose it" in out


def test_an_output_that_is_a_symlink_out_of_the_repo_is_found(example, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    os.symlink(outside, example / "linked")
    write(example, ".agents/tasks/sym.md", task(extra="outputs: [linked/file.py]\n"))
    out = cli(example, "check").stdout
    assert (
        ".agents/tasks/sym.md:5:1: error path-escapes: outputs 'linked/file.py' "
        f"is a symlink that points outside the repository (to {outside}/file.py)\n"
        in out
    )


def test_fix_quotes_the_value_and_lowercases_the_status_and_nothing_else(example):
    before = "---\ntitle: Owner  # who\nowner: @alice\nstatus: Todo\n---\nBody  \n"
    path = write(example, ".agents/tasks/owner.md", before)
    result = cli(example, "check", "--fix")
    assert result.stdout.startswith(
        'fixed .agents/tasks/owner.md:3: quoted the value: owner: "@alice"\n'
        "fixed .agents/tasks/owner.md:4: status 'Todo' -> 'todo'\n"
    )
    assert path.read_text() == before.replace("@alice", '"@alice"').replace("Todo", "todo")
    assert result.exit_code == 0, result.output


def test_json_and_github_formats(example):
    write(example, ".agents/tasks/bad.md", task(status="Doing"))
    data = json.loads(cli(example, "check", "--format", "json").stdout)
    assert data["schema"] == 1 and data["errors"] == 1
    assert data["findings"][-1] == {
        "path": ".agents/tasks/bad.md",
        "line": 3,
        "col": 1,
        "severity": "error",
        "code": "bad-status",
        "message": "status 'Doing' is not one of todo, active, review, done, failed, blocked",
        "hint": (
            "use one of todo, active, review, done, failed, blocked "
            "(plan.md's 'statuses' sets the list)"
        ),
    }
    out = cli(example, "check", "--format", "github").stdout
    assert out.splitlines()[-1] == (
        "::error file=.agents/tasks/bad.md,line=3,col=1,title=bad-status::status "
        "'Doing' is not one of todo, "
        "active, review, done, failed, blocked%0Ahint: use "
        "one of todo, active, review, done, failed, blocked "
        "(plan.md's 'statuses' sets the list)"
    )


def test_check_of_given_paths_checks_only_those(example):
    write(example, ".agents/tasks/bad.md", task(status="Doing"))
    write(example, "notes/conf.yml", "a: b\n  c: d\n")
    result = cli(example, "check", ".agents/tasks/tokenizer.md", "notes")
    assert result.exit_code == 1
    assert "bad.md" not in result.stdout
    assert (
        result.stdout
        == "notes/conf.yml:2:4: error yaml: not valid YAML: "
           "mapping values are not allowed in this context\n"
    )


def test_check_runs_a_duplicate_key_finding(example):
    write(example, ".agents/tasks/dup.md", task(extra="status: done\n"))
    out = cli(example, "check").stdout
    assert (
        ".agents/tasks/dup.md:5:1: error duplicate-key: 'status' "
        "is set twice (first on line 3); YAML keeps only this one\n"
        in out
    )


def test_the_tokens_option_is_accepted(example):
    assert cli(example, "check", "--tokens", "estimate").exit_code == 0


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the corpus is not here (../shared/corpus)")
def test_every_corpus_file_is_checked_without_a_crash_and_bad_yaml_is_located(example):
    result = cli(example, "check", str(CORPUS))
    assert result.exit_code in (0, 1), result.output
    assert "internal error" not in result.output
    rejected = 0
    for path in sorted(CORPUS.rglob("*.md")) + sorted(CORPUS.rglob("*.mdc")):
        try:
            fm = frontmatter.split(path.read_text(encoding="utf-8"), str(path))
        except Exception:  # noqa: BLE001 - unreadable or unclosed: reported otherwise
            continue
        if fm is None:
            continue
        try:
            yaml.safe_load(fm.raw)
        except yaml.YAMLError as exc:
            line = fm.first_line + exc.problem_mark.line
            if path.suffix == ".mdc":  # Cursor reads it line by line: no finding
                said = [x for x in result.stdout.splitlines() if x.startswith(f"{path}:")]
                assert not [x for x in said if " error yaml: " in x], path
                continue
            rejected += 1
            assert f"{path}:{line}:" in result.stdout and " error yaml: " in result.stdout, path
    assert rejected >= 1


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the corpus is not here (../shared/corpus)")
def test_corpus_check_runs_as_a_real_process(example):
    from conftest import run_agentmd

    result = run_agentmd(example, "check", str(CORPUS), "--format", "json")
    assert result.returncode in (0, 1)
    assert "Traceback" not in result.stderr
    assert json.loads(result.stdout)["checked"] > 100


def test_check_counts_files_in_a_repo_without_commits(tmp_path):
    git(tmp_path, "init", "-q")
    cli(tmp_path, "init", "--example")
    (tmp_path / "AGENTS.md").write_text("# Rules\n\nKeep it short.\n")
    result = cli(tmp_path, "check")
    assert result.exit_code == 0
    files = [p for p in (tmp_path / ".agents").rglob("*.md") if ".cache" not in p.parts]
    assert len(files) == 13
    # each Markdown file under .agents/ once, and the AGENTS.md outside it
    assert result.stderr.endswith(" in 14 file(s) checked\n")
    assert json.loads(cli(tmp_path, "check", "--format", "json").stdout)["checked"] == 14


def test_conflict_markers_in_an_agents_md_anywhere_are_found(example):
    write(
        example,
        "pkg/AGENTS.md",
        "# Rules\n<<<<<<< HEAD\nuse tabs\n=======\nuse spaces\n>>>>>>> other\n",
    )
    out = cli(example, "check").stdout
    assert "pkg/AGENTS.md:2:1: error conflict-marker: git conflict marker '<<<<<<<'\n" in out


def test_a_findings_file_from_agentmd_review_is_checked(example):
    write(
        example,
        ".agents/reviews/2026-11-22-tokenizer.md",
        (
            "---\ntask: tokenizer\nverdict: maybe\nblocking: 0\nfindings: "
            "0\nbase: abcdef1\nhead: abcdef2\n---\n## Summary\n"
        ),
    )
    result = cli(example, "check")
    assert result.exit_code == 1
    assert (
        ".agents/reviews/2026-11-22-tokenizer.md:3:1: error bad-value: "
        "verdict must be one of pass, changes_requested, not 'maybe'\n"
        in result.stdout
    )


def test_the_model_settings_are_known_plan_keys(example):
    plan = example / ".agents/plan.md"
    plan.write_text(
        plan.read_text().replace("lease: 2h\n", "lease: 2h\nmodel: claude-sonnet-4-5\n")
    )
    result = cli(example, "check")
    assert result.exit_code == 0 and "warning handoff-base-missing" in result.stdout
    assert "unknown-key" not in result.stdout


def test_a_process_that_checks_again_sees_each_change(example):
    """The loop checks the plan in one process, again after each change: unchanged tasks'
    findings are reused, yet an edited task, a deleted dependency or a new status list count."""
    import time

    from agentmd.checks.passes import check_workspace
    from agentmd.prompt.tokens import ESTIMATE
    from agentmd.workspace.folder import Workspace

    def aged(path, seconds):  # out of the racy window, so that the index trusts what it read
        stamp = time.time_ns() - seconds * 1_000_000_000
        os.utime(path, ns=(stamp, stamp))

    def edit(path, old, new):
        path.write_text(path.read_text().replace(old, new))
        aged(path, 10)

    for path in (example / ".agents").rglob("*.md"):
        aged(path, 100)
    ws = Workspace(example)

    def codes():
        ws.refresh()
        return sorted(
            {
                (p.path, p.code)
                for p in check_workspace(ws, ESTIMATE).problems
                if p.severity == "error"
            }
        )

    assert codes() == []
    reused = ws.tasks["cli"].record
    edit(example / ".agents/tasks/counter.md", "priority: medium", "priority: urgent")
    assert codes() == [(".agents/tasks/counter.md", "bad-priority")]
    assert ws.tasks["cli"].record is reused
    (example / ".agents/tasks/tokenizer.md").unlink()  # counter depends on it
    assert (".agents/tasks/counter.md", "dangling-dependency") in codes()
    edit(example / ".agents/tasks/cli.md", "status: todo", "status: parked")
    assert (".agents/tasks/cli.md", "bad-status") in codes()
    edit(example / ".agents/plan.md", "blocked]", "blocked, parked]")
    assert (".agents/tasks/cli.md", "bad-status") not in codes()  # cli.md itself did not change


def test_a_task_still_holding_the_templates_text_is_named_by_check_and_next(example):
    from agentmd.workspace.records import TASK_GOAL_PROMPT
    from agentmd.workspace.scaffold import template_root

    assert TASK_GOAL_PROMPT in template_root().joinpath("task.md").read_text()
    assert cli(example, "block", "tokenizer", "--reason", "waiting for a decision").exit_code == 0
    assert cli(example, "add", "Polish the output", "--priority", "high").exit_code == 0
    warnings = (
        ".agents/tasks/polish-the-output.md:12:1: warning "
        "task-unfilled: section 'Goal' still holds the template's text\n"
        "  hint: write what this task needs: an agent given it gets exactly this\n"
        ".agents/tasks/polish-the-output.md:16:1: warning task-unfilled: "
        "section 'Acceptance criteria' still holds the template's text\n"
        "  hint: write what this task needs: an agent given it gets exactly this\n"
    )
    result = cli(example, "check")
    assert result.exit_code == 0 and warnings in result.stdout
    for _ in range(2):  # the second run prints what the first remembered
        result = cli(example, "next")
        assert result.stdout.startswith("# Polish the output") and result.stderr == warnings
    path = example / ".agents/tasks/polish-the-output.md"
    path.write_text(path.read_text().replace(TASK_GOAL_PROMPT, "Align the columns of the table."))
    checked = cli(example, "check").stdout
    assert "section 'Acceptance criteria' still holds the template's text" in checked
    assert "section 'Goal'" not in checked
    assert "section 'Acceptance criteria'" in cli(example, "next").stderr


def test_a_projects_own_task_template_is_what_counts_as_unfilled(example):
    write(
        example,
        ".agents/templates/task.md",
        "---\ntitle: $title\nstatus: todo\n---\n## Why\n\nSay why.\n",
    )
    assert cli(example, "block", "tokenizer", "--reason", "waiting for a decision").exit_code == 0
    assert cli(example, "add", "Polish the output", "--priority", "high").exit_code == 0
    assert cli(example, "next").stderr == (
        ".agents/tasks/polish-the-output.md:6:1: warning "
        "task-unfilled: section 'Why' still holds the template's text\n"
        "  hint: write what this task needs: an agent given it gets exactly this\n"
    )


def test_a_cursor_rules_front_matter_is_read_as_cursor_reads_it(repo):
    # (`globs: **/*.tsx` unquoted is how Cursor rules are written; check called it a YAML
    # error, failing CI on a file Cursor reads, and `rules import` takes)
    rule = repo / ".cursor/rules/react.mdc"
    rule.parent.mkdir(parents=True)
    rule.write_text("---\ndescription: React\nglobs: **/*.tsx\nalwaysApply: false\n---\nHooks.\n")
    result = cli(repo, "check", ".cursor")
    assert result.exit_code == 0, result.output
    assert "error" not in result.output
    broken = repo / "notes.md"  # a Markdown file is still held to YAML
    broken.write_text("---\nglobs: **/*.tsx\n---\nx\n")
    assert cli(repo, "check", "notes.md").exit_code == 1


def test_a_nested_claude_md_checked_alone_counts_the_files_above_it(repo):
    # (its folder's load left out the root CLAUDE.md, which the host loads there too)
    assert cli(repo, "init").exit_code == 0
    (repo / "CLAUDE.md").write_text("# Root\n\n" + "word " * 260 + "\n")
    (repo / "tests").mkdir()
    (repo / "tests/CLAUDE.md").write_text("# Tests\n\n" + "test " * 260 + "\n")
    result = cli(repo, "check", "tests/CLAUDE.md")
    assert "warning always-loaded-budget: an agent working in tests/ loads" in result.stdout
    said = next(line for line in result.stdout.splitlines() if "always-loaded-budget" in line)
    assert said.endswith("(tests/CLAUDE.md 437; CLAUDE.md 437)")
    assert cli(repo, "check", "CLAUDE.md").stdout.count("always-loaded-budget") == 0
