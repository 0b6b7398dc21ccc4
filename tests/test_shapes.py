"""Front matters of one shape (files written from one template) are read by one regex each once
the shape has been seen often enough (frontmatter._learn): every file it reads is read as the
tiled and plain paths read it, whatever its values, and a file of any other shape is left to
them."""

from __future__ import annotations

import shutil

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from agentmd.errors import LocatedError
from agentmd.files import frontmatter
from agentmd.files.frontmatter import load_counted, split
from agentmd.workspace.folder import Workspace
from test_cold_paths import corpus_texts, needs_corpus


@pytest.fixture(autouse=True)
def no_shapes_yet(monkeypatch):
    monkeypatch.setattr(frontmatter, "_SHAPES", [])
    monkeypatch.setattr(frontmatter, "_seen", {})
    monkeypatch.setattr(frontmatter, "_learning", True)


def unshaped(raw: str):
    """What the paths before shapes answer."""
    shapes, learning = frontmatter._SHAPES[:], frontmatter._learning
    frontmatter._SHAPES.clear()
    frontmatter._learning = False
    try:
        return answer(raw)
    finally:
        frontmatter._SHAPES[:] = shapes
        frontmatter._learning = learning


def answer(raw: str):
    fm = split(f"---\n{raw}---\nbody\n", "x.md")
    assert fm is not None
    try:
        fields, lines, starts = load_counted(fm, "x.md", {})
    except Exception as exc:  # noqa: BLE001 - the located error itself is compared
        return repr(exc)
    return repr(fields), fields, lines, starts  # repr: True is not 1, nor "1" 1


def learn(raw: str) -> None:
    for _ in range(frontmatter.SHAPE_AFTER):
        unshaped_learning(raw)


def unshaped_learning(raw: str) -> None:
    fm = split(f"---\n{raw}---\n", "x.md")
    assert fm is not None
    shapes = frontmatter._SHAPES[:]
    frontmatter._SHAPES.clear()  # read the tiled way, which is what learns
    try:
        load_counted(fm, "x.md", {})
    except LocatedError:
        pass  # not valid YAML: nothing learned
    finally:
        frontmatter._SHAPES[:0] = shapes


VALUES = st.sampled_from(
    ["x", "a b", "src/a.py", "_x", "yes", "off", "null", "~", "2026-11-22", "2026-13-45",
     "3d4756b", "12", "1.5", "0x1f", "a ", "x-1.2", "/abs/path", "a  b", "x:", "a: b", "é",
     "'quoted'", '"dq"', "x # note", "# note", "", "[a]", "[a, b]", "[]", "[yes]", "[a,b]",
     "{a: 1}", "&anchor", "*alias", "-x", "- x", "6bfee7523349841660449b769aa7b4e68a0bd4fc"]
)  # fmt: skip
ITEMS = st.lists(VALUES, min_size=1, max_size=3)
KEYS = ["title", "status", "depends_on", "verify", "base", "k.x", "k-y", "on", "a"]


@st.composite
def files_of_one_shape(draw):
    """Front matters of one template: the same keys in the same order, each written as a plain
    value, a flow list, a block list (at one indent) or nothing, with values of every kind."""
    keys = draw(st.lists(st.sampled_from(KEYS), min_size=1, max_size=6, unique=True))
    kinds = [draw(st.sampled_from(["value", "flow", "block", "none"])) for _ in keys]
    indent = draw(st.sampled_from(["", "  ", "    "]))

    def one() -> str:
        lines = []
        for key, kind in zip(keys, kinds, strict=True):
            if kind == "value":
                lines.append(f"{key}: {draw(VALUES)}")
            elif kind == "flow":
                lines.append(f"{key}: [{', '.join(draw(st.lists(VALUES, max_size=3)))}]")
            elif kind == "block":
                lines.append(f"{key}:")
                lines += [f"{indent}- {item}" for item in draw(ITEMS)]
            else:
                lines.append(f"{key}:")
        return "".join(line + "\n" for line in lines)

    return [one() for _ in range(draw(st.integers(2, 6)))]


@settings(max_examples=500, deadline=None)
@given(files_of_one_shape())
@example(["title: x\nverify:\n  - a b\n  - c\n", "title: yes\nverify:\n  - on\n"])
@example(["base: 3d4756b\n", "base: 12\n", "base: 'q' # c\n", "base: \n", "base: # c\n"])
@example(["a: [x, y]\n", "a: [yes]\n", "a: []\n", "a: [x,y]\n"])
@example(["a:\n  - x\n", "a:\n  - x\n   - y\n", "a:\n- x\n", "a:\n  - x \n"])
def test_a_file_of_a_learned_shape_is_read_as_the_tiled_path_reads_it(files):
    for template in files:
        learn(template)
        for raw in files:
            assert answer(raw) == unshaped(raw), (template, raw)


def test_the_shape_of_a_plans_task_files_is_learned_and_read_by_it():
    task = (
        "title: Implement api piece {n}\nstatus: todo\npriority: high\ndepends_on: [t{d}]\n"
        "inputs: [src/api/base.py]\noutputs: [src/api/m{n}.py]\n"
        "verify:\n{verify}created: 2026-08-08\n"
    )
    verify = "  - python -m pytest -q\n"
    for n in range(frontmatter.SHAPE_AFTER):
        assert frontmatter._SHAPES == []  # not yet: 16 files of the shape first
        answer(task.format(n=n, d=n - 1, verify=verify))
    assert len(frontmatter._SHAPES) == 1
    read_by = []
    real = frontmatter._tiled_load
    try:
        frontmatter._tiled_load = lambda *a: read_by.append(a) or real(*a)  # type: ignore[assignment]
        two = task.format(n=99, d=98, verify=verify * 2)  # two items: the lines after move
        got = answer(two)
    finally:
        frontmatter._tiled_load = real
    assert read_by == []  # the shape read it, not the tiled path
    assert got == unshaped(two)
    _, fields, lines, starts = got
    assert fields["verify"] == ["python -m pytest -q"] * 2 and fields["depends_on"] == ["t98"]
    assert lines["created"] == 11 and lines["verify"] == 8 and starts == 8


def test_a_shapes_reader_holds_no_text_of_the_files(monkeypatch):
    """The reader written for a shape names its keys and separators by place: keys that are
    no Python names, or are the reader's own names, are read as keys, as the tiled path
    reads them."""
    monkeypatch.setattr(frontmatter, "SHAPE_AFTER", 1)
    keys = ["k.x", "a-b", "v0", "keep", "K", "found", "words", "first_line", "_"]
    raw = "".join(f"{key}: [v{n}]\n" for n, key in enumerate(keys)) + "end:\n   - z\n"
    learn(raw)
    assert len(frontmatter._SHAPES) == 1
    got = answer(raw.replace("z", "w"))
    assert got == unshaped(raw.replace("z", "w"))
    assert list(got[1]) == [*keys, "end"] and got[1]["end"] == ["w"] and got[1]["v0"] == ["v2"]


def test_learning_stops_at_its_limits(monkeypatch):
    monkeypatch.setattr(frontmatter, "SHAPE_AFTER", 1)
    for n in range(frontmatter.MAX_SHAPES + 3):
        answer(f"key{n}: x\n")
    assert len(frontmatter._SHAPES) == frontmatter.MAX_SHAPES
    assert frontmatter._learning is False
    monkeypatch.setattr(frontmatter, "SHAPE_AFTER", 2)
    frontmatter._SHAPES.clear()
    frontmatter._learning = True
    for n in range(frontmatter.MAX_SEEN + 5):  # each shape once: none ever repeats
        answer(f"other{n}: x\n")
    assert frontmatter._SHAPES == [] and frontmatter._learning is False
    assert len(frontmatter._seen) <= frontmatter.MAX_SEEN + frontmatter.MAX_SHAPES + 1


def test_a_key_set_twice_is_never_a_shape(monkeypatch):
    monkeypatch.setattr(frontmatter, "SHAPE_AFTER", 1)
    assert answer("a: x\na: y\n")[3] == 2  # two lines start a key: `check` reads it again
    assert frontmatter._SHAPES == []


@needs_corpus
def test_the_corpus_read_with_the_shapes_it_teaches(monkeypatch):
    monkeypatch.setattr(frontmatter, "SHAPE_AFTER", 1)
    monkeypatch.setattr(frontmatter, "MAX_SHAPES", 10_000)
    monkeypatch.setattr(frontmatter, "MAX_SEEN", 10_000)
    raws = []
    for text in corpus_texts():
        try:
            fm = split(text, "x.md")
        except Exception:  # noqa: BLE001 - an unclosed front matter is not read by any path
            continue
        if fm is not None:
            raws.append(fm.raw)
    expected = [unshaped(raw) for raw in raws]
    for raw in raws:
        unshaped_learning(raw)
    assert len(frontmatter._SHAPES) > 5
    assert [answer(raw) for raw in raws] == expected


def test_a_plan_read_cold_with_shapes_holds_the_records_it_held_without(tmp_path, monkeypatch):
    agents = tmp_path / ".agents"
    (agents / "tasks").mkdir(parents=True)
    (agents / "plan.md").write_text("---\ntitle: p\n---\n")
    for n in range(3 * frontmatter.SHAPE_AFTER):
        title = "Fix: the parser" if n % 7 == 0 else f"Task {n}"  # a value another way
        deps = f"[t{n - 1:03}]" if n else "[]"
        (agents / "tasks" / f"t{n:03}.md").write_text(
            f"---\ntitle: {title}\nstatus: todo\ndepends_on: {deps}\nverify:\n  - make\n---\n"
            f"## Goal\n\nG {n}\n"
        )
    with_shapes = [tuple(r) for r in Workspace(tmp_path).index.groups["tasks"]]
    assert frontmatter._SHAPES  # the tasks' shape was learned, and read by
    monkeypatch.setattr(frontmatter, "_SHAPES", [])
    monkeypatch.setattr(frontmatter, "_learning", False)
    shutil.rmtree(agents / ".cache")  # cold again: every file parsed
    without = [tuple(r) for r in Workspace(tmp_path).index.groups["tasks"]]
    assert with_shapes == without


def test_a_shape_keeps_the_lines_of_so_many_block_lengths(monkeypatch):
    monkeypatch.setattr(frontmatter, "MAX_LAYOUTS", 3)
    learn("verify:\n  - a\nk: x\n")
    for n in range(1, 8):
        raw = "verify:\n" + "  - a\n" * n + "k: x\n"
        assert answer(raw) == unshaped(raw)
        assert answer(raw)[2]["k"] == 3 + n
    assert len(frontmatter._SHAPES[0].lines) == 3
