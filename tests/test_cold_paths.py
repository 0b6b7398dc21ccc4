"""The shortcuts a cold `next` takes (the index cache deleted, or every file's mtime moved) give
the answers of the general paths they stand in for: the splitter's shortcut for a plain `---`
opening, the front matter read line by line in the regex engine, the index cache written in one
pass. Real files from the corpus too, when it is there."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from agentmd.files.frontmatter import _Fallback, _plain_load, _split, _tiled_load, split
from conftest import CORPUS
from test_frontmatter_properties import LINE, TOKENS

needs_corpus = pytest.mark.skipif(
    not CORPUS.is_dir(), reason="the corpus is not here (../shared/corpus)"
)


def corpus_texts() -> list[str]:
    texts = []
    for path in sorted(CORPUS.rglob("*")):
        if path.is_file() and path.suffix in (".md", ".mdc", ".txt"):
            texts.append(path.read_bytes().decode("utf-8", "replace"))
    return texts


def split_answer(how, text: str):
    try:
        return how(text, "x.md")
    except Exception as exc:  # the located error itself is compared
        return repr(exc)


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.sampled_from(["a: 1", "---", "--- ", "----", "---\r", "", "b", " ---"])),
    st.sampled_from(["---\n", "---\r\n", "\ufeff---\n", "--- \n", "---"]),
    st.booleans(),
)
@example(["a: 1", "---"], "---\n", False)
@example(["---"], "---\n", False)
@example([], "---\n", True)
def test_the_splitter_shortcut_finds_what_the_general_splitter_finds(lines, opening, newline):
    text = opening + "\n".join(lines) + ("\n" if newline else "")
    assert split_answer(split, text) == split_answer(_split, text)


def test_the_splitter_shortcut_on_known_shapes():
    assert split("---\na: 1\n---\nbody\n", "x") == _split("---\na: 1\n---\nbody\n", "x")
    fm = split("---\na: 1\n---\nbody\n", "x")
    assert fm is not None
    assert (fm.raw, fm.start, fm.end, fm.body_start, fm.body_line) == ("a: 1\n", 4, 9, 13, 4)
    fm = split("---\n---", "x")
    assert fm is not None and (fm.raw, fm.body_start, fm.body_line) == ("", 7, 3)
    assert split_answer(split, "---\na: 1\n----\n") == split_answer(_split, "---\na: 1\n----\n")
    assert "frontmatter-unclosed" in split_answer(split, "---\na: 1\n----\n")


@needs_corpus
def test_the_splitter_shortcut_on_the_corpus():
    texts = corpus_texts()
    assert len(texts) > 50
    opened = [text for text in texts if text.startswith("---\n")]
    assert opened  # the shortcut is really taken on some of them
    for text in texts:
        assert split_answer(split, text) == split_answer(_split, text)


def plain_answer(raw: str):
    lines: dict[str, int] = {}
    try:
        return _plain_load(raw, lines, 2), lines
    except _Fallback:
        return "fallback"


def tiled_answer(raw: str):
    lines: dict[str, int] = {}
    try:
        found = _tiled_load(raw, lines, 2)
    except _Fallback:
        return "raised"  # never: the tiled path hands anything odd to the plain one
    return None if found is None else (found, lines)


PLAIN = st.sampled_from(
    ["x", "a b", "src/a.py", "_x", "yes", "off", "null", "2026-11-22", "3d4756b", "12", "a ",
     "x-1.2", "/abs/path", "a  b", "x:", "é"]
)  # fmt: skip
PLAIN_LINE = st.one_of(
    st.builds(lambda k, v: f"{k}: {v}", st.sampled_from(["a", "b", "on", "k.x", "k-y"]), PLAIN),
    st.builds(
        lambda k, items: f"{k}: [{', '.join(items)}]",
        st.sampled_from(["a", "deps"]),
        st.lists(PLAIN, max_size=3),
    ),
    st.sampled_from(["a:", "b: ", "c: # note", "d:  [x]", "e: []", "f: [ ]", "g: [a,b]"]),
    st.builds(lambda ind, v: f"{ind}- {v}", st.sampled_from(["", "  ", "    "]), PLAIN),
    st.builds(lambda ind, v: f"{ind}- {v}", st.sampled_from(["  "]), TOKENS),
    LINE,
)


@settings(max_examples=800, deadline=None)
@given(st.lists(PLAIN_LINE, max_size=10))
@example(["title: x", "verify:", "  - a b", "  - c"])
@example(["deps: [a, yes]", "a: b"])
@example(["a:", "  - x", "    - y"])
@example(["a: x", "  - y"])
@example(["a: 1", "a: 2"])
def test_the_tiled_path_agrees_with_the_plain_path_whenever_it_answers(lines):
    raw = "".join(line + "\n" for line in lines)
    if "\t" in raw or "\r" in raw:
        return  # the plain paths are only asked for front matter without tabs and CRs
    tiled = tiled_answer(raw)
    assert tiled != "raised"
    if tiled is not None:
        assert tiled == plain_answer(raw), raw


def test_the_tiled_path_answers_a_task_file_of_the_built_in_template():
    raw = (
        "title: Implement api piece 3451\nstatus: todo\npriority: high\ndepends_on: []\n"
        "inputs: [src/api/base.py]\noutputs: [src/api/m03451.py, tests/api/test_m03451.py]\n"
        "verify:\n  - python -m pytest tests/api/test_m03451.py -q\ncreated: 2026-08-08\n"
    )
    found = tiled_answer(raw)
    assert found is not None and found == plain_answer(raw)
    fields, lines = found
    assert fields["outputs"] == ["src/api/m03451.py", "tests/api/test_m03451.py"]
    assert fields["created"] == "2026-08-08" and fields["depends_on"] == []
    assert lines == {
        "title": 2, "status": 3, "priority": 4, "depends_on": 5, "inputs": 6, "outputs": 7,
        "verify": 8, "created": 10,
    }  # fmt: skip


@needs_corpus
def test_the_tiled_path_on_the_corpus():
    answered = 0
    for text in corpus_texts():
        try:
            fm = _split(text, "x.md")
        except Exception:
            continue
        if fm is None or "\t" in fm.raw or "\r" in fm.raw or not fm.raw.endswith("\n"):
            continue
        tiled = tiled_answer(fm.raw)
        assert tiled != "raised"
        if tiled is not None:
            answered += 1
            assert tiled == plain_answer(fm.raw)
    assert answered > 5  # the corpus's plainest files really take the tiled path
