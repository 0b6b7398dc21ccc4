"""The plainest front matters (every line `key: value`, `key:` or `- item`) are read in fewer
steps; whatever that answers, the line-by-line fast path answers the same."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from agentmd.files.frontmatter import _Fallback, _fast_load, _line_load
from test_frontmatter_properties import LINE


def answer(load, raw: str):
    lines: dict[str, int] = {}
    try:
        return load(raw, lines), lines
    except _Fallback:
        return "fallback"


@settings(max_examples=600, deadline=None)
@given(st.lists(LINE, max_size=8))
@example(["title: x", "verify:", "  - a b", "  - c"])
@example(["a:", "- 1", "b: [x, 'y']"])
def test_the_plain_path_agrees_with_the_line_by_line_path(lines):
    raw = "".join(line + "\n" for line in lines)
    assert answer(_fast_load, raw) == answer(_line_load, raw)


@pytest.mark.parametrize(
    "raw",
    [
        "title: x\nstatus: todo\n",
        "title: x\nverify:\n  - pytest -q\n  - ruff check\n",
        "depends_on: [a, b]\nyes: 1\n",
        "title: x\n  - stray item\n",
        "title: x\nlast: no newline",
        "title: x\n\nafter: a blank line\n",
        "title: x # a comment\n",
    ],
)
def test_each_shape_gets_the_same_answer_both_ways(raw):
    assert answer(_fast_load, raw) == answer(_line_load, raw)
    if raw == "title: x\nlast: no newline":
        assert answer(_fast_load, raw) == (
            {"title": "x", "last": "no newline"},
            {"title": 0, "last": 1},
        )
