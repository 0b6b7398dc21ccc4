"""Plans that moved: `add` records planned_at; when a task's inputs change after it, the prompt
says what changed and `check` warns."""

from __future__ import annotations

from conftest import cli, git


def planned(repo):
    assert cli(repo, "init").exit_code == 0
    (repo / "src").mkdir()
    (repo / "src/app.py").write_text("def main():\n    pass\n")
    (repo / "src/other.py").write_text("x = 1\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "app")
    head = git(repo, "rev-parse", "HEAD").strip()
    for task_id, path in (("uses-app", "src/app.py"), ("uses-other", "src/other.py")):
        added = cli(repo, "add", f"Task {task_id}", "--id", task_id, "--input", path)
        assert added.exit_code == 0, added.output
        task = repo / ".agents/tasks" / f"{task_id}.md"
        task.write_text(task.read_text().replace(
            "What must be true when this task is done, and why it matters.", f"Change {path}."
        ))  # fmt: skip
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "tasks")
    return head


def test_add_records_the_commit_it_planned_at(repo):
    head = planned(repo)
    assert f"planned_at: {head}\n" in (repo / ".agents/tasks/uses-app.md").read_text()
    checked = cli(repo, "check")
    assert "inputs-changed" not in checked.output
    assert checked.exit_code == 0, checked.output
    prompt = cli(repo, "next").stdout
    assert "Change src/app.py." in prompt and "Changed since" not in prompt


def test_changed_inputs_reach_the_prompt_and_check_warns(repo):
    head = planned(repo)
    (repo / "src/app.py").write_text("def main(argv):\n    return 0\n\n\ndef helper():\n    pass\n")
    git(repo, "commit", "-q", "-am", "app moved on")
    checked = cli(repo, "check")
    assert checked.exit_code == 0, checked.output  # a warning
    line = next(x for x in checked.output.splitlines() if "inputs-changed" in x)
    assert line == (
        ".agents/tasks/uses-app.md:10:1: warning inputs-changed: its inputs changed since it "
        f"was planned at {head[:12]}: src/app.py"
    )
    assert "uses-other.md" not in "\n".join(
        x for x in checked.output.splitlines() if "inputs-changed" in x
    )
    prompt = cli(repo, "next").stdout  # uses-app comes first
    assert (
        "## Changed since this task was written\n\n"
        f"These inputs changed after the task was planned (at `{head[:12]}`): read them as they "
        "are now, not as the task's text may assume.\n\n"
        "- `src/app.py` (+5 -1)\n"
    ) in prompt
    assert "Change src/app.py." in prompt
