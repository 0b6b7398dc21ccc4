"""`check --fix` fixes every safe thing in one run: a quoted value keeps its comment outside
the quotes, a list item YAML read as a mapping is quoted at its line, tabs become spaces."""

from __future__ import annotations

from conftest import cli

BROKEN = """\
---
title: Fix: streaming usage totals   # keep this comment
status: Todo
verify:
  - echo x: y
---
## Goal

Sum the usage.
"""


def test_one_run_fixes_all_safe_things_and_keeps_the_comment_a_comment(example):
    path = example / ".agents/tasks/usage.md"
    path.write_text(BROKEN)
    hinted = cli(example, "check").stdout
    assert (
        "  hint: the value contains ': ': quote the value: "
        'title: "Fix: streaming usage totals"   # keep this comment\n'
    ) in hinted
    result = cli(example, "check", "--fix")
    assert result.stdout.startswith(
        "fixed .agents/tasks/usage.md:2: quoted the value: "
        'title: "Fix: streaming usage totals"   # keep this comment\n'
    )
    assert 'fixed .agents/tasks/usage.md:5: quoted the item: - "echo x: y"\n' in result.stdout
    assert "fixed .agents/tasks/usage.md:3: status 'Todo' -> 'todo'\n" in result.stdout
    assert path.read_text() == BROKEN.replace(
        "title: Fix: streaming usage totals", 'title: "Fix: streaming usage totals"'
    ).replace("status: Todo", "status: todo").replace("- echo x: y", '- "echo x: y"')
    assert cli(example, "check").exit_code == 0
    prompt = cli(example, "show", "usage").stdout
    assert "keep this comment" not in prompt


def test_a_list_item_read_as_a_mapping_is_named_by_its_number_and_text(example):
    (example / ".agents/tasks/usage.md").write_text(BROKEN.replace("Fix: streaming", "Streaming"))
    out = cli(example, "check").stdout
    assert (
        ".agents/tasks/usage.md:4:1: error bad-type: 'verify' item 1 (`echo x: y`) holds a "
        "mapping where text was expected\n"
    ) in out


def test_tab_indentation_is_fixed_with_spaces(example):
    path = example / ".agents/tasks/tabs.md"
    path.write_text("---\ntitle: Tabs\nstatus: todo\nverify:\n\t- make test\n---\n## Goal\n\nx\n")
    assert "YAML does not allow tabs" in cli(example, "check").stdout
    result = cli(example, "check", "--fix")
    assert "fixed .agents/tasks/tabs.md:5: indented with spaces, not tabs\n" in result.stdout
    assert path.read_text() == (
        "---\ntitle: Tabs\nstatus: todo\nverify:\n  - make test\n---\n## Goal\n\nx\n"
    )
