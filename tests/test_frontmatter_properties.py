"""Hypothesis properties: the splitter finds what was written, the fast path agrees with YAML,
rendered scalars load back as themselves, and an edit changes one field and nothing else."""

from __future__ import annotations

import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st

from agentmd.files.document import parse
from agentmd.files.edit import Editor, render_scalar
from agentmd.files.frontmatter import (
    _Fallback,
    _fast_load,
    field_spans,
    split,
    split_lines,
    yaml_loader,
)

KEYS = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)
TOKENS = st.sampled_from(
    [
        "a",
        "yes",
        "No",
        "on",
        "~",
        "null",
        "0",
        "12",
        "-3",
        "0755",
        "1.5",
        "1_000",
        "0x1f",
        "2026-11-22",
        "@x",
        "*x",
        "&x",
        "!x",
        "%x",
        "`x`",
        "a: b",
        "a:b",
        "a #c",
        "#c",
        "'q'",
        '"q"',
        "'it''s'",
        '"a\\"b"',
        "[a, b]",
        "[]",
        "[a",
        "{a: 1}",
        "|",
        ">",
        "-",
        "- x",
        "x,y",
        "é",
        "日本",
        "\t",
        "  ",
        ":",
        "<<",
        "=",
    ]
)
LINE = st.one_of(
    st.builds(
        lambda k, v: f"{k}: {v}", KEYS, st.lists(TOKENS, min_size=1, max_size=3).map(" ".join)
    ),
    st.builds(lambda k: f"{k}:", KEYS),
    st.builds(lambda v, ind: f"{ind}- {v}", TOKENS, st.sampled_from(["", "  ", "    "])),
    st.sampled_from(["# comment", "", "  # indented comment", "  nested: 1"]),
)


def yaml_result(raw: str):
    try:
        data = yaml.load(raw, Loader=yaml_loader())  # noqa: S506
    except yaml.YAMLError:
        return "error"
    return data


@settings(max_examples=600, deadline=None)
@given(st.lists(LINE, max_size=8))
@example(["a: yes", "b:", "- 1", "- x"])
@example(["title: a #c"])
def test_fast_path_agrees_with_yaml_whenever_it_answers(lines):
    raw = "".join(line + "\n" for line in lines)
    try:
        fast = _fast_load(raw)
    except _Fallback:
        return
    expected = yaml_result(raw)
    assert expected != "error", f"fast path accepted what YAML rejects: {raw!r}"
    assert fast == (expected or {}), raw


@settings(max_examples=300, deadline=None)
@given(
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=40),
    st.sampled_from(["", "'", '"']),
)
def test_a_rendered_scalar_loads_back_as_itself(text, style):
    rendered = render_scalar(text, style)
    loaded = yaml.load(f"k: {rendered}\n", Loader=yaml_loader())  # noqa: S506
    assert loaded == {"k": text}
    in_flow = yaml.load(f"k: [{render_scalar(text, style, flow=True)}, x]\n", Loader=yaml_loader())  # noqa: S506
    assert in_flow == {"k": [text, "x"]}


BODY = st.text(st.characters(blacklist_categories=("Cs",)), max_size=80)


@settings(max_examples=300, deadline=None)
@given(st.lists(LINE, max_size=6), BODY, st.sampled_from(["\n", "\r\n"]), st.booleans())
def test_the_splitter_finds_the_front_matter_as_written(lines, body, newline, bom):
    raw = "".join(line + newline for line in lines if line.strip() != "---")
    text = ("\ufeff" if bom else "") + "---" + newline + raw + "---" + newline + body
    fm = split(text, "t.md")
    assert fm is not None
    assert fm.raw == raw
    assert text[fm.body_start :] == body
    assert fm.body_line == 2 + len(split_lines(raw)) + 1


PLAIN_VALUES = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=20),
    st.integers(-1000, 1000),
    st.booleans(),
)


@st.composite
def documents(draw):
    keys = draw(st.lists(KEYS, min_size=1, max_size=6, unique=True))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    lines = []
    for key in keys:
        shape = draw(st.sampled_from(["plain", "quoted", "flow", "block", "comment"]))
        value = draw(PLAIN_VALUES)
        if shape == "plain":
            lines.append(f"{key}: {render_scalar(value)}")
        elif shape == "quoted":
            quote = draw(st.sampled_from(['"', "'"]))
            lines.append(f"{key}: {render_scalar(str(value), quote)}  # c")
        elif shape == "flow":
            items = draw(st.lists(st.from_regex(r"[a-z./]{1,6}", fullmatch=True), max_size=3))
            lines.append(f"{key}: [{', '.join(items)}]")
        elif shape == "block":
            items = draw(
                st.lists(st.from_regex(r"[a-z./]{1,6}", fullmatch=True), min_size=1, max_size=3)
            )
            indent = draw(st.sampled_from(["", "  "]))
            lines.append(f"{key}:")
            lines.extend(f"{indent}- {item}" for item in items)
        else:
            lines.append(f"# about {key}")
            lines.append(f"{key}: {render_scalar(value)}")
    body = draw(BODY)
    text = "---" + newline + newline.join(lines) + newline + "---" + newline + body
    return text, keys


@settings(max_examples=400, deadline=None)
@given(documents(), st.data())
def test_setting_one_field_changes_that_field_and_nothing_else(doc_keys, data):
    text, keys = doc_keys
    before = parse(text, "t.md")
    key = data.draw(st.sampled_from([*keys, "added_field"]))
    value = data.draw(
        st.one_of(PLAIN_VALUES, st.lists(st.from_regex(r"[a-z]{1,5}", fullmatch=True), max_size=3))
    )
    editor = Editor(text, "t.md")
    editor.set(key, value)
    after = parse(editor.text, "t.md")
    expected = {**before.fields, key: value}
    assert after.fields == expected
    assert after.body == before.body
    # Everything before and after the field's own lines is byte-identical.
    fm = split(text, "t.md")
    spans = {span.key: span for span in field_spans(fm.raw)}
    lines = split_lines(fm.raw)
    if key in spans:
        start, end = spans[key].start, spans[key].end
    else:
        start = end = len(lines)
    prefix = text[: fm.start] + "".join(lines[:start])
    suffix = "".join(lines[end:]) + text[fm.end :]
    assert editor.text.startswith(prefix)
    assert editor.text.endswith(suffix)
    newline = "\r\n" if "\r\n" in text.split("---", 2)[1] else "\n"
    middle = editor.text[len(prefix) : len(editor.text) - len(suffix)]
    assert middle.endswith(newline) and middle.count("\n") == middle.count(newline)


@settings(max_examples=200, deadline=None)
@given(documents(), st.from_regex(r"[a-z][a-z0-9/._-]{0,10}", fullmatch=True))
def test_appending_to_a_list_adds_exactly_that_item(doc_keys, item):
    text, keys = doc_keys
    before = parse(text, "t.md")
    lists = [k for k in keys if isinstance(before.fields.get(k), list)]
    if not lists:
        return
    editor = Editor(text, "t.md")
    editor.append_to_list(lists[0], item)
    after = parse(editor.text, "t.md")
    assert after.fields == {**before.fields, lists[0]: [*before.fields[lists[0]], item]}
    assert len(split_lines(editor.text)) - len(split_lines(text)) in (0, 1)
