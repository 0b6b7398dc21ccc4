"""`agentmd import github --decompose`: the tasks the model writes record the commit they were
planned at (`planned_at`, as `agentmd add` and `decompose` write it), asked of git once for the
whole import."""

from __future__ import annotations

from conftest import cli, git
from fake_anthropic import tool_use
from test_github import fake_gh as github_gh


def test_decomposed_tasks_with_inputs_record_the_commit_they_were_planned_at(
    example, fake_api, tmp_path, monkeypatch
):
    github_gh.__wrapped__(tmp_path, monkeypatch)
    answer = [
        {"id": "json-flag", "title": "Add the --json flag", "priority": "high", "depends_on": [],
         "inputs": ["src/tally/cli.py"], "outputs": ["src/tally/cli.py"],
         "verify": ["python -m pytest -q"], "goal": "A --json flag.", "acceptance": ["JSON"]},
        {"id": "json-docs", "title": "Document --json", "priority": "low",
         "depends_on": ["json-flag"], "inputs": [], "outputs": ["README.md"],
         "verify": ["grep -q -- --json README.md"], "goal": "Say so.", "acceptance": ["said"]},
    ]  # fmt: skip
    fake_api.messages = [tool_use("write_tasks", {"tasks": answer})]
    result = cli(example, "import", "github", "--label", "agentmd", "--decompose")
    assert result.exit_code == 0, result.output
    head = git(example, "rev-parse", "HEAD").strip()
    flag = (example / ".agents/tasks/json-flag.md").read_text()
    assert "inputs: [src/tally/cli.py]\n" in flag
    assert "source: github#12/json-flag\n" in flag
    assert f"planned_at: {head}\n---\n" in flag
    docs = (example / ".agents/tasks/json-docs.md").read_text()
    assert "source: github#12/json-docs\n" in docs
    assert f"planned_at: {head}\n---\n" in docs
    assert cli(example, "check").exit_code == 0
