"""`check --fix` quoting: the fixed file parses to the value meant, and only that line changes."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from agentmd.checks.fixes import fix_text
from agentmd.files import frontmatter
from agentmd.workspace.records import PLAN_DEFAULTS, Settings
from conftest import cli

SETTINGS = Settings.from_fields(dict(PLAN_DEFAULTS))
WORDS = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E, blacklist_characters="\"\\#'"),
    min_size=1,
    max_size=20,
)
TROUBLE = st.one_of(
    st.builds(lambda a, b: f"{a.strip() or 'x'}: {b.strip() or 'y'}", WORDS, WORDS),
    st.builds(lambda a: "@" + (a.strip() or "x"), WORDS),
    st.builds(lambda a: "*" + (a.strip() or "x"), WORDS),
    # a title that starts with a bracketed tag: YAML reads a list, then finds text after it
    st.builds(lambda a, b: f"[{a.strip() or 'x'}] {b.strip() or 'y'}", WORDS, WORDS),
)


@settings(max_examples=200, deadline=None)
@given(TROUBLE)
def test_a_quoted_fix_parses_to_the_value_meant_and_changes_one_line(value):
    text = f"---\ntitle: {value}\nstatus: todo\n---\nBody\n"
    fixed, fixes = fix_text(text, "t.md", SETTINGS, is_task=True)
    fm = frontmatter.split(fixed, "t.md")
    try:
        frontmatter.load(frontmatter.split(text, "t.md"), "t.md")
        assert fixes == []  # it parsed already: nothing to fix
        return
    except Exception:  # noqa: BLE001 - the case under test: YAML rejects the line
        pass
    if not fixes:  # quoting is not the fix for it (a flow list or block scalar opens): left alone
        assert fixed == text and value[0] in "[{|>"
        return
    assert frontmatter.load(fm, "t.md")["title"] == value
    before, after = text.split("\n"), fixed.split("\n")
    assert [n for n, (a, b) in enumerate(zip(before, after, strict=True)) if a != b] == [1]
    assert [fix.line for fix in fixes] == [2]


@settings(max_examples=100, deadline=None)
@given(TROUBLE, WORDS)
def test_a_value_over_two_lines_is_quoted_onto_one_as_yaml_folds_it(value, more):
    more = more.strip() or "z"
    text = f"---\ntitle: {value}\n  {more}\nstatus: todo\n---\nBody\n"
    fixed, fixes = fix_text(text, "t.md", SETTINGS, is_task=True)
    try:
        frontmatter.load(frontmatter.split(text, "t.md"), "t.md")
        return  # it parsed already (YAML took the second line as part of a value it could read)
    except Exception:  # noqa: BLE001 - the case under test
        pass
    if not fixes:
        assert fixed == text
        return
    fm = frontmatter.split(fixed, "t.md")
    assert frontmatter.load(fm, "t.md")["title"] == f"{value} {more}"
    assert fixed.split("\n")[2:] == text.split("\n")[3:]  # the two lines became one
    assert [fix.line for fix in fixes] == [2] and "its 2 lines joined" in fixes[0].what


def test_check_fix_quotes_a_bracketed_title_over_two_lines(example):
    path = example / ".agents/tasks/odd.md"
    path.write_text("---\ntitle: [draft] fix the\n  parser for good\nstatus: todo\n---\n\nBody\n")
    found = cli(example, "check")
    assert (
        ".agents/tasks/odd.md:2:16: error yaml: front matter is not valid YAML: did not find "
        "expected key\n  hint: a value that starts with '[' is a list, and text follows its "
        "']': quote the value, on one line: title: \"[draft] fix the parser for good\"\n"
    ) in found.stdout
    cli(example, "check", "--fix")
    assert path.read_text() == (
        '---\ntitle: "[draft] fix the parser for good"\nstatus: todo\n---\n\nBody\n'
    )


def test_fix_leaves_a_file_it_cannot_fix_byte_identical(example):
    path = example / ".agents/tasks/odd.md"
    text = "---\ntitle: [unclosed\nstatus: todo\n---\n"
    path.write_text(text)
    result = cli(example, "check", "--fix")
    assert result.stdout.endswith(  # still found, and not touched
        ".agents/tasks/odd.md:2:8: error yaml: front matter is not valid YAML: the '[' here is "
        "never closed\n"
        "  hint: close it with ']' on the same line, or quote it if it is text: "
        'title: "[unclosed"\n'
    )
    assert "fixed .agents/tasks/odd.md" not in result.output
    assert path.read_text() == text
    assert result.exit_code == 1


def test_a_broken_list_field_is_not_quoted_into_one_string_but_a_list_item_of_text_is():
    # (from review: `outputs: [src/a.py] [src/b.py]` was "fixed" into one glob, silently)
    broken = "---\ntitle: a\nstatus: todo\noutputs: [src/a.py] [src/b.py]\n---\n"
    assert fix_text(broken, "t.md", SETTINGS, is_task=True) == (broken, [])
    shell = "---\ntitle: a\nstatus: todo\nverify:\n  - [ -f a ] && echo ok\n---\n"
    fixed, fixes = fix_text(shell, "t.md", SETTINGS, is_task=True)
    assert frontmatter.load(frontmatter.split(fixed, "t.md"), "t.md")["verify"] == [
        "[ -f a ] && echo ok"
    ]
    assert [fix.line for fix in fixes] == [5]


def test_a_value_folded_over_a_blank_line_keeps_it_as_a_line_break():
    text = "---\ntitle: @foo bar\n  baz\n\n  qux\nstatus: todo\n---\nBody\n"
    fixed, fixes = fix_text(text, "t.md", SETTINGS, is_task=True)
    assert fixed == '---\ntitle: "@foo bar baz\\nqux"\nstatus: todo\n---\nBody\n'
    assert frontmatter.load(frontmatter.split(fixed, "t.md"), "t.md")["title"] == (
        "@foo bar baz\nqux"  # as YAML folds the plain value
    )
    assert "its 4 lines joined" in fixes[0].what
