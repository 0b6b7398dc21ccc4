"""The splitter, the loader's located errors, and surgical edits on hand-written fixtures."""

from __future__ import annotations

import pytest

from agentmd.errors import LocatedError
from agentmd.files.document import parse
from agentmd.files.edit import Editor
from agentmd.files.frontmatter import load, split

HAND_WRITTEN = (
    "---\n"
    "# Written by hand; agentmd must keep this comment.\n"
    "title: 'Single: quoted'   # trailing comment\n"
    'status: "todo"\n'
    "priority: high\n"
    'depends_on: [a, "b"]  # flow list\n'
    "outputs:\n"
    "  - src/x.py   # first\n"
    "  - src/y.py\n"
    "\n"
    "verify:\n"
    "- make test\n"
    "---\n"
    "## Goal\n"
    "\n"
    "Body text.\n"
)


def edited(text: str, *edits) -> str:
    editor = Editor(text, "t.md")
    for method, *args in edits:
        getattr(editor, method)(*args)
    return editor.text


def test_set_status_keeps_comments_and_quotes():
    result = edited(HAND_WRITTEN, ("set", "status", "active"))
    assert result == HAND_WRITTEN.replace('status: "todo"', 'status: "active"')


def test_set_single_quoted_title_keeps_its_style_and_comment():
    result = edited(HAND_WRITTEN, ("set", "title", "It's done"))
    assert "title: 'It''s done'   # trailing comment\n" in result
    assert parse(result, "t.md").fields["title"] == "It's done"


def test_plain_value_that_needs_quotes_gets_double_quotes():
    result = edited(HAND_WRITTEN, ("set", "priority", "a: b"))
    assert 'priority: "a: b"\n' in result


def test_new_field_is_one_line_appended_before_the_closing_delimiter():
    result = edited(HAND_WRITTEN, ("set", "claimed_by", "alice"))
    assert result == HAND_WRITTEN.replace(
        "- make test\n---\n", "- make test\nclaimed_by: alice\n---\n"
    )


def test_flow_list_gets_an_item_in_flow_style():
    result = edited(HAND_WRITTEN, ("append_to_list", "depends_on", "c"))
    assert 'depends_on: [a, "b", c]  # flow list\n' in result
    assert result.count("\n") == HAND_WRITTEN.count("\n")


def test_block_list_gets_an_item_as_one_new_line_with_the_same_indent():
    result = edited(HAND_WRITTEN, ("append_to_list", "outputs", "src/z.py"))
    assert "  - src/y.py\n  - src/z.py\n\nverify:" in result


def test_unindented_block_list_keeps_its_style():
    result = edited(HAND_WRITTEN, ("append_to_list", "verify", "make lint"))
    assert "verify:\n- make test\n- make lint\n---\n" in result


def test_delete_removes_only_that_field():
    result = edited(HAND_WRITTEN, ("delete", "priority"))
    assert result == HAND_WRITTEN.replace("priority: high\n", "")


def test_crlf_file_stays_crlf_after_edits():
    text = HAND_WRITTEN.replace("\n", "\r\n")
    result = edited(
        text,
        ("set", "status", "done"),
        ("set", "base", "abc123"),
        ("append_to_list", "outputs", "z"),
    )
    assert "\n" not in result.replace("\r\n", "")
    assert parse(result, "t.md").fields["base"] == "abc123"


def test_bom_and_no_final_newline_survive_an_edit():
    text = "\ufeff---\ntitle: x\n---\nbody without newline"
    result = edited(text, ("set", "title", "y"))
    assert result == "\ufeff---\ntitle: y\n---\nbody without newline"


def test_empty_front_matter_gets_a_field():
    text = "---\n---\nbody\n"
    doc = parse(text, "t.md")
    assert doc.fields == {}
    assert edited(text, ("set", "status", "todo")) == "---\nstatus: todo\n---\nbody\n"


def test_front_matter_without_final_newline_before_delimiter_is_found():
    doc = parse("---\ntitle: x\n---", "t.md")
    assert doc.fields == {"title": "x"}
    assert doc.body == ""


def test_yaml_1_1_values_load_as_yaml_does():
    doc = parse("---\na: yes\nb: 0755\nc: 1.10\nd: 2026-11-22\ne: ~\nf: 'x'\n---\n", "t.md")
    assert doc.fields == {"a": True, "b": 493, "c": 1.1, "d": "2026-11-22", "e": None, "f": "x"}


def test_unclosed_front_matter_is_located():
    with pytest.raises(LocatedError) as error:
        parse("---\ntitle: x\nbody\n", "t.md")
    assert error.value.problem.render().startswith("t.md:1:1: error frontmatter-unclosed:")


@pytest.mark.parametrize(
    ("line", "where", "hint"),
    [
        ("title: Fix: the parser", "t.md:3:", 'quote the value: title: "Fix: the parser"'),
        ("owner: @alice", "t.md:3:8", 'quote the value: owner: "@alice"'),
        ("glob: *.py", "t.md:3:", 'quote the value: glob: "*.py"'),
        ("\tstatus: todo", "t.md:3:", "indent with spaces"),
        # found by YAML only at the next line: said where the bracket opens
        (
            "title: [draft",
            "t.md:3:8",
            "close it with ']' on the same line, or quote it if it is text: title: \"[draft\"",
        ),
        ("tags: {a: 1", "t.md:3:7", "close it with '}'"),
        # a list item with no key: its value is the item's (this raised an IndexError)
        ("deps:\n- *alias", "t.md:4:", "'*' starts an alias: quote the value: - \"*alias\""),
    ],
)
def test_yaml_errors_name_the_line_and_the_likely_fix(line, where, hint):
    text = f"---\nid: 1\n{line}\n---\n"
    with pytest.raises(LocatedError) as error:
        load(split(text, "t.md"), "t.md")
    rendered = error.value.problem.render()
    assert rendered.startswith(where), rendered
    assert hint in rendered


@pytest.mark.parametrize(
    "value",
    [
        '[\n  "a"\n  "b",\n]',  # closed, a comma missing: YAML's own message, at "b"
        '[\n  "a]"\n  "b", # ]\n]',  # a ']' in quotes or a comment does not close it
        '[a,\n  "b"\n  what\'s-new.md]',  # an apostrophe in a word opens no quote (review)
    ],
)
def test_a_flow_list_closed_on_a_later_line_is_not_called_unclosed(value):
    text = f"---\nid: 1\ndepends_on: {value}\n---\n"
    with pytest.raises(LocatedError) as error:
        load(split(text, "t.md"), "t.md")
    rendered = error.value.problem.render()
    assert "never closed" not in rendered
    assert rendered.startswith(
        "t.md:5:3: error yaml: front matter is not valid YAML: did not find expected ',' or ']'"
    ), rendered


@pytest.mark.parametrize(
    "after",
    [
        "tags: [a, b]",  # a list of its own: opened and closed, the first still open
        "status: todo\nnotes: step 2] done",  # a ']' past the next key is not its closer
    ],
)
def test_a_flow_list_left_open_before_the_next_key_is_unclosed(after):
    text = f"---\nid: 1\ntitle: [draft\n{after}\n---\n"
    with pytest.raises(LocatedError) as error:
        load(split(text, "t.md"), "t.md")
    assert error.value.problem.render().startswith("t.md:3:8: error yaml:")
    assert "never closed" in error.value.problem.render()


def test_a_bracket_in_quoted_text_that_goes_on_past_its_line_closes_nothing():
    # The ']' on the second line is inside "b ... c": the list is never closed, and is named
    # where it opens (it was taken for the closer, and YAML's message given at the next key).
    text = '---\nid: 1\ntags: [a, "b\n  ] c", d\nstatus: todo\n---\n'
    with pytest.raises(LocatedError) as error:
        load(split(text, "t.md"), "t.md")
    rendered = error.value.problem.render()
    assert rendered.startswith("t.md:3:7: error yaml:"), rendered
    assert "the '[' here is never closed" in rendered


@pytest.mark.parametrize(
    ("text", "where", "says"),
    [
        # an apostrophe inside plain text opens no quote: the list is never closed
        ("---\ntags: [the '90s\nstatus: todo\ntitle: Fix 'x]'\n---\n", "t.md:2:7:",
         "the '[' here is never closed"),
        # ... nor here, where the list is closed, two lines on, and a ',' is missing
        ("---\ntags: [the '90s,\n  \"eighties\" \"x\",\n  y]\n---\n", "t.md:3:",
         "did not find expected ',' or ']'"),
    ],
)
def test_an_apostrophe_in_plain_text_is_no_quote_for_the_unclosed_bracket_check(
    text, where, says
):
    with pytest.raises(LocatedError) as error:
        load(split(text, "t.md"), "t.md")
    rendered = error.value.problem.render()
    assert rendered.startswith(where) and says in rendered, rendered


def test_a_tagged_date_that_is_no_date_is_located():
    text = "---\nid: 1\ndue: !!timestamp 2024-02-30\n---\n"
    with pytest.raises(LocatedError) as error:
        load(split(text, "t.md"), "t.md")
    rendered = error.value.problem.render()
    assert rendered.startswith("t.md:3:1: error yaml: front matter is not valid YAML: day is")


def test_a_list_is_not_a_mapping():
    with pytest.raises(LocatedError) as error:
        parse("---\n- a\n- b\n---\n", "t.md")
    assert "frontmatter-not-mapping" in error.value.problem.render()


def test_a_dash_line_inside_the_body_is_not_front_matter():
    doc = parse("# Title\n---\nnot: front matter\n---\n", "t.md")
    assert doc.fm is None and doc.fields == {}


def test_heading_inside_a_fenced_or_indented_code_block_is_not_a_section():
    body = "## Real\n\n```\n## fenced\n```\n\n    ## indented\n\n## Second\n- [x] done item\n"
    doc = parse("---\na: 1\n---\n" + body, "t.md")
    assert [(s.title, s.line) for s in doc.sections] == [("Real", 4), ("Second", 12)]
    assert [(c.line, c.checked, c.text) for c in doc.sections[1].checkboxes] == [
        (13, True, "done item")
    ]


@pytest.mark.parametrize("key", ["no", "yes", "on", "off", "true", "null", "1", "0.5"])
def test_a_key_is_its_text_on_the_fast_path_and_through_yaml(key):
    """YAML 1.1 reads `no:` as the key false; a field name is text, whichever path reads it."""
    fast = f"---\n{key}: x\n---\n"
    through_yaml = f"---\n{key}: x\nnested: {{a: [1, 2]}}\n---\n"  # a flow mapping needs YAML
    assert load(split(fast, "t.md"), "t.md") == {key: "x"}
    assert load(split(through_yaml, "t.md"), "t.md") == {key: "x", "nested": {"a": [1, 2]}}


def test_found_by_hypothesis_setting_a_field_named_no_keeps_its_name():
    """The property test's case: `no: "0"` set again went through YAML, which read the key false."""
    text = edited('---\nno: "0"\n---\n', ("set", "no", "0"))
    assert parse(text, "t.md").fields == {"no": "0"}
