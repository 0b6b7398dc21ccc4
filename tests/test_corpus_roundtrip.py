"""Every front-mattered file in ../shared/corpus: parse then write gives identical bytes, and a
single-field edit changes that field's line and nothing else."""

from __future__ import annotations

import pytest

from agentmd.errors import LocatedError
from agentmd.files.document import parse
from agentmd.files.edit import Editor
from agentmd.files.frontmatter import (
    _Fallback,
    _fast_load,
    field_spans,
    split,
    split_lines,
    yaml_load_text,
)
from agentmd.files.textfile import decode
from conftest import CORPUS

FILES = (
    sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.name != "MANIFEST.tsv")
    if CORPUS.is_dir()
    else []
)
pytestmark = pytest.mark.skipif(
    not FILES, reason=f"no corpus at {CORPUS} (a user's clone has no ../shared)"
)


def front_mattered():
    for path in FILES:
        data = path.read_bytes()
        try:
            text = decode(data, path.name)
        except LocatedError:
            continue
        try:
            fm = split(text, path.name)
        except LocatedError:
            continue
        if fm is not None:
            yield path, data, text


CASES = list(front_mattered()) if FILES else []
IDS = [path.name[:60] for path, _, _ in CASES]


def test_the_corpus_has_front_mattered_files():
    assert len(CASES) >= 20


@pytest.mark.parametrize(("path", "data", "text"), CASES, ids=IDS)
def test_parse_then_write_gives_identical_bytes(path, data, text):
    try:
        doc = parse(text, path.name)
    except LocatedError as error:
        fm = split(text, path.name)
        assert 1 <= error.problem.line <= fm.body_line, error.problem.render()
        return
    assert doc.text.encode("utf-8") == data


@pytest.mark.parametrize(("path", "data", "text"), CASES, ids=IDS)
def test_a_new_field_is_one_added_line(path, data, text):
    try:
        before = parse(text, path.name)
    except LocatedError:
        return
    editor = Editor(text, path.name)
    editor.set("agentmd_probe", "a value: with colon")
    after = parse(editor.text, path.name)
    assert after.fields == {**before.fields, "agentmd_probe": "a value: with colon"}
    newline = "\r\n" if before.fm.raw.endswith("\r\n") else "\n"
    line = 'agentmd_probe: "a value: with colon"' + newline
    assert editor.text == text[: before.fm.end] + line + text[before.fm.end :]


@pytest.mark.parametrize(("path", "data", "text"), CASES, ids=IDS)
def test_editing_each_single_line_field_changes_only_its_line(path, data, text):
    try:
        before = parse(text, path.name)
    except LocatedError:
        return
    fm = before.fm
    lines = split_lines(fm.raw)
    spans = field_spans(fm.raw)
    keys = [s.key for s in spans]
    for span in spans:
        if keys.count(span.key) > 1 or span.end != span.start + 1:
            continue
        value = before.fields.get(span.key)
        if isinstance(value, dict | list) or span.key not in before.fields:
            continue
        editor = Editor(text, path.name)
        editor.set(span.key, "changed by agentmd")
        after = parse(editor.text, path.name)
        assert after.fields == {**before.fields, span.key: "changed by agentmd"}, span.key
        prefix = text[: fm.start] + "".join(lines[: span.start])
        suffix = "".join(lines[span.end :]) + text[fm.end :]
        assert editor.text.startswith(prefix) and editor.text.endswith(suffix), span.key


@pytest.mark.parametrize(("path", "data", "text"), CASES, ids=IDS)
def test_the_fast_path_agrees_with_yaml_on_real_files(path, data, text):
    fm = split(text, path.name)
    try:
        fast = _fast_load(fm.raw)
    except _Fallback:
        return
    assert fast == (yaml_load_text(fm.raw) or {})
