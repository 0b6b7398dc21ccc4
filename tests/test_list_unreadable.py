"""`list` shows a task whose file cannot be read as not ready, with the finding, as it does a
task with an error finding."""

from __future__ import annotations

import json

from conftest import cli


def test_list_marks_an_unreadable_task_file_not_ready_with_its_finding(example):
    (example / ".agents/tasks/broken.md").write_text("---\ntitle: [broken\n---\n")
    result = cli(example, "list")
    assert result.exit_code == 0
    assert "broken            todo     medium  broken  (not ready: yaml)\n" in result.stdout
    assert "tokenizer         ready    high    Split text into words\n" in result.stdout
    rows = json.loads(cli(example, "list", "--json").stdout)["tasks"]
    (row,) = [r for r in rows if r["id"] == "broken"]
    assert row["ready"] is False
    assert row["errors"] == [
        ".agents/tasks/broken.md:2:8: error yaml: front matter is not valid YAML: the '[' here "
        "is never closed\n  hint: close it with ']' on the same line, or quote it if it is text: "
        'title: "[broken"'
    ]
