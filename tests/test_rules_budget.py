"""rules_budget: over it is a warning with the cost (the loop runs on); an error only where a
host cuts the files off (Codex: 32 KiB of AGENTS.md) or where plan.md asks. A host loads
AGENTS.md or CLAUDE.md, and a file reached twice counts once."""

from __future__ import annotations

import os

from conftest import cli, git

HINT = (
    "  hint: move detail into scoped rules (.agents/rules/ with applies_to) and let 'agentmd "
    "rules build' write the hosts' files from them, or raise rules_budget in .agents/plan.md\n"
)


def test_an_agents_md_over_the_budget_is_a_warning_and_check_passes(example):
    (example / "AGENTS.md").write_text("word " * 600)  # 1,000 tokens
    result = cli(example, "check")
    assert result.exit_code == 0, result.output
    assert (
        "AGENTS.md:1:1: warning always-loaded-budget: an agent working at the repository root "
        "loads 1,084 tokens of always-loaded files, over the budget of 500 (AGENTS.md 1,000; "
        ".agents/rules/python-style.md 84)\n" + HINT
    ) in result.stdout


def test_plan_md_can_make_it_an_error(example):
    (example / "AGENTS.md").write_text("word " * 600)
    plan = example / ".agents/plan.md"
    plan.write_text(
        plan.read_text().replace("lease: 2h\n", "lease: 2h\nrules_budget_error: true\n")
    )
    result = cli(example, "check")
    assert result.exit_code == 1
    assert "AGENTS.md:1:1: error always-loaded-budget:" in result.stdout


def test_over_what_codex_reads_is_an_error(example):
    plan = example / ".agents/plan.md"
    plan.write_text(plan.read_text().replace("rules_budget: 500", "rules_budget: 100000"))
    (example / "AGENTS.md").write_text("word " * 7000)  # 35,000 bytes
    result = cli(example, "check")
    assert result.exit_code == 1
    assert (
        "; Codex reads at most 32 KiB of AGENTS.md files and cuts the rest off (35,000 bytes "
        "here)\n"
    ) in result.stdout
    assert "error always-loaded-budget" in result.stdout


def test_a_claude_md_symlink_to_agents_md_counts_once(example):
    (example / "AGENTS.md").write_text("word " * 600)
    os.symlink("AGENTS.md", example / "CLAUDE.md")
    out = cli(example, "check").stdout
    assert "loads 1,084 tokens of always-loaded files" in out
    assert "CLAUDE.md 1,000" not in out


def test_agents_md_and_claude_md_are_not_summed_no_host_loads_both(example):
    (example / "AGENTS.md").write_text("word " * 600)
    (example / "CLAUDE.md").write_text("word " * 300)  # 500 tokens
    out = cli(example, "check").stdout
    assert (
        "loads 1,084 tokens of always-loaded files, over the budget of 500 (AGENTS.md 1,000;" in out
    )
    assert "CLAUDE.md 500" not in out


def test_the_loop_does_not_stop_for_the_warning(example):
    from agentmd.loop.gate import plan_problems
    from agentmd.workspace.folder import Workspace

    (example / "AGENTS.md").write_text("word " * 600)
    git(example, "add", "-A")
    git(example, "commit", "-q", "-m", "rules")
    assert plan_problems(Workspace.find(example)) == []
    assert "warning always-loaded-budget" in cli(example, "check").stdout


def test_a_missing_inputs_file_is_a_warning(example):
    (example / ".agents/tasks/doc.md").write_text(
        "---\ntitle: Document\nstatus: todo\ninputs: [docs/usage.md, 'src/*.py']\n---\n"
        "## Goal\n\nWrite it.\n"
    )
    result = cli(example, "check")
    assert (
        ".agents/tasks/doc.md:4:1: warning input-missing: inputs 'docs/usage.md' does not exist\n"
    ) in result.stdout
    assert "'src/*.py' does not exist" not in result.stdout
    (example / "docs").mkdir()
    (example / "docs/usage.md").write_text("usage\n")
    assert "input-missing" not in cli(example, "check").stdout
