"""The shortcuts a cold `next` takes (the index cache deleted, or every file's mtime moved) give
the answers of the general paths they stand in for: the splitter's shortcut for a plain `---`
opening, the front matter read line by line in the regex engine, the index cache written in one
pass. Real files from the corpus too, when it is there."""

from __future__ import annotations

import marshal
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from agentmd.errors import LocatedError, Problem
from agentmd.files import textfile
from agentmd.files.frontmatter import _Fallback, _plain_load, _split, _tiled_load, split
from agentmd.workspace import folder, index_cache
from agentmd.workspace.folder import Workspace
from agentmd.workspace.records import Record
from agentmd.workspace.statkey import key_of
from conftest import CORPUS, cli
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
    if found is None:
        return None
    fields, starts = found
    # the lines it counted as starting a key are the ones the index counts for a repeated key
    assert (starts > len(lines)) == folder._may_repeat_a_key(raw, len(lines)), raw
    return fields, lines


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


TASK = """---
title: Task {n}
status: {status}
priority: high
depends_on: [{deps}]
outputs: [src/m{n}.py]
verify:
  - python -m pytest -q
created: 2026-08-08
---
## Goal

Part {n}.
"""


def age_all(agents: Path, seconds_ago: int) -> None:
    """Every file's mtime set in the past, beyond the racy window, as a checkout leaves them."""
    stamp = time.time_ns() - seconds_ago * 1_000_000_000
    for path in agents.rglob("*.md"):
        os.utime(path, ns=(stamp, stamp))


def plan_with_odd_files(repo: Path) -> Path:
    cli(repo, "init")
    agents = repo / ".agents"
    for n in range(40):  # more than REWRITE_AFTER: a touch of them all rewrites the cache
        deps = "" if n == 0 else f"t{n - 1}"
        text = TASK.format(n=n, status="done" if n < 2 else "todo", deps=deps)
        (agents / "tasks" / f"t{n}.md").write_text(text)
    (agents / "tasks" / "odd.md").write_text("---\ntitle: 'quoted: yes'\ntags: [a, 'b']\n---\n")
    (agents / "tasks" / "broken.md").write_bytes(b"---\ntitle: caf\xe9\n---\n")
    (agents / "tasks" / "twice.md").write_text("---\ntitle: a\ntitle: b\nstatus: todo\n---\n")
    if CORPUS.is_dir():  # real front matter, read where it lies and written to the tmp repo
        for path in sorted((CORPUS / "backlog").glob("*task*.md"))[:8]:
            (agents / "tasks" / f"corpus-{len(path.name)}-{path.name[:12]}.md").write_bytes(
                path.read_bytes()
            )
    return agents


def records_now(repo: Path) -> dict:
    ws = Workspace(repo)
    ws.index  # noqa: B018 - reads (and caches) every file
    return dict(ws._known)


def cache_parts(agents: Path) -> dict:
    """The index cache's frames, read back: its header, layouts, and each file's stat key and
    record."""
    keys, files = {}, {}
    with open(agents / ".cache" / index_cache.FILE, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        header = handle.readline()
        written, layouts = marshal.loads(index_cache._frame(handle, size))
        while (batch_keys := marshal.loads(index_cache._frame(handle, size))) is not None:
            batch = zip(batch_keys, marshal.loads(index_cache._frame(handle, size)), strict=True)
            for (rel, key), record in batch:
                keys[rel], files[rel] = key, record
        assert handle.read() == b""  # the end frame is the last
    frames = {"header": header, "written": written, "layouts": layouts}
    return {**frames, "keys": keys, "files": files}


def test_a_touch_of_every_file_writes_the_records_again_as_they_were(repo, monkeypatch):
    agents = plan_with_odd_files(repo)
    age_all(agents, 60)
    first = records_now(repo)  # the cache deleted: every file parsed, the cache written
    before = cache_parts(agents)
    age_all(agents, 30)  # every stat key moves, no byte changes
    encoded = []
    real = index_cache._encoded
    monkeypatch.setattr(index_cache, "_encoded", lambda *a: encoded.append(a) or real(*a))
    again = records_now(repo)
    assert encoded == []  # no record was encoded again
    monkeypatch.undo()
    after = cache_parts(agents)
    assert after["files"] == before["files"]  # copied as they were, not encoded again
    assert after["layouts"] == before["layouts"]
    assert after["keys"] != before["keys"] and after["keys"].keys() == before["keys"].keys()
    assert after["written"] > before["written"]
    slow = {rel: folder.read_record(Workspace(repo), rel) for rel in first}
    assert again == first == slow  # the records of a fresh parse of each file
    assert slow["tasks/twice.md"].suspect and slow["tasks/twice.md"].fields["title"] == "b"
    assert records_now(repo) == slow  # and the cache with its new keys reads back the same


def read_back(cache: Path) -> tuple:
    found, written, _ = index_cache.read(cache, {})
    return found, written


def test_records_copied_and_records_encoded_make_the_same_cache_file(repo, tmp_path, monkeypatch):
    monkeypatch.setattr(index_cache, "BATCH", 8)  # several pairs of lines
    agents = plan_with_odd_files(repo)
    age_all(agents, 60)
    records_now(repo)
    cache = agents / ".cache" / index_cache.FILE
    assert len(cache_parts(agents)["files"]) > 8
    found, written, kept = index_cache.read(cache, {})
    assert kept is not None and kept.files == len(found) > 8
    ws = Workspace(repo)
    ws.index  # noqa: B018
    records = {e.rel: (e.key, ws._known[e.rel]) for e in ws.scanned if e.key is not None}
    out = tmp_path / "out"
    out.mkdir()
    copied, encoded = out / "copied.bin", out / "encoded.bin"
    copied.write_bytes(cache.read_bytes())  # _copied reads the file it is given
    kept_copy = index_cache.read(copied, {})[2]
    assert kept_copy is not None
    index_cache.write(copied, records, 7, kept_copy)
    index_cache.write(encoded, records, 7)
    # marshal marks a value shared by how many hold it, not by what it is: the same records,
    # not the same bytes
    assert read_back(copied) == read_back(encoded)
    assert len(copied.read_bytes()) == len(encoded.read_bytes())
    # A cache file that another process wrote since it was read is not copied from: the
    # records are encoded, and no temporary file is left behind.
    stale = out / "stale.bin"
    stale.write_bytes(cache.read_bytes())
    index_cache.write(stale, records, 7, kept_copy._replace(stat=(0, 0, 0)))
    assert read_back(stale) == read_back(encoded)
    assert sorted(p.name for p in out.iterdir()) == [
        "copied.bin", "encoded.bin", "stale.bin"
    ]  # fmt: skip
    # Nor is one that lists other files than the records now read.
    fewer = dict(list(records.items())[:-1])
    index_cache.write(stale, fewer, 7, kept_copy)
    assert index_cache.read(stale, {})[0].keys() == fewer.keys()


def test_an_older_or_broken_cache_is_read_as_none_and_rewritten(repo, monkeypatch):
    monkeypatch.setattr(index_cache, "BATCH", 8)  # several pairs of frames
    agents = plan_with_odd_files(repo)
    age_all(agents, 60)
    first = records_now(repo)
    cache = agents / ".cache" / index_cache.FILE
    data = cache.read_bytes()
    header = index_cache.HEADER
    older = data.replace(header, header.replace(b"index 11", b"index 10"))
    other_python = data.replace(header, header.replace(b"marshal 4", b"marshal 3"))
    end = index_cache._framed(None)
    assert data.endswith(end) and older != data != other_python
    wrong_shape = data[: -len(end)] + index_cache._framed((("tasks/x.md", b"k"),))
    wrong_shape += index_cache._framed(((0, ["not", "a", "dict"], 1, None, False, b""),)) + end
    broken = (
        data[:-2], data[: -len(end)], data + b" ", data + end, older, other_python, b"", b"{}",
        header, header + b"\xff\xff\xff\xff",
        wrong_shape, b"\x80\x04 not a cache\n",
    )  # fmt: skip
    for bad in broken:
        cache.write_bytes(bad)
        assert index_cache.read(cache, {}) == ({}, 0, None)
        assert records_now(repo) == first  # every file parsed again, the cache written anew
        assert cache.read_bytes().startswith(header)
        assert cache_parts(agents)["files"].keys() == cache_parts(agents)["keys"].keys()


def test_a_cache_cut_short_anywhere_is_no_cache(repo, monkeypatch):
    """The cache is written whole, then renamed: a file cut short (a full disk, another tool)
    holds no end frame, and is read as no cache, never as fewer files."""
    monkeypatch.setattr(index_cache, "BATCH", 8)
    agents = plan_with_odd_files(repo)
    age_all(agents, 60)
    first = records_now(repo)
    cache = agents / ".cache" / index_cache.FILE
    data = cache.read_bytes()
    for cut in range(0, len(data), max(1, len(data) // 97)):
        cache.write_bytes(data[:cut])
        assert index_cache.read(cache, {}) == ({}, 0, None)
    cache.write_bytes(data)
    assert {rel: pair[1] for rel, pair in index_cache.read(cache, {})[0].items()} == first


def test_records_from_the_cache_share_their_names_layouts_and_paths(repo):
    agents = plan_with_odd_files(repo)
    age_all(agents, 60)
    records_now(repo)
    cached = records_now(repo)  # a new process: every record read from the cache
    a, b = cached["tasks/t3.md"], cached["tasks/t4.md"]
    assert a.fields["status"] == b.fields["status"] == "todo"
    assert a.lines is b.lines  # one layout
    (name_a,), (name_b,) = ([k for k in r.fields if k == "status"] for r in (a, b))
    assert name_a is name_b
    assert a.fields["verify"] == b.fields["verify"] == ["python -m pytest -q"]
    # values of text shared, never a list or a dict: a record's own may be edited
    assert a.fields["verify"] is not b.fields["verify"] and a.fields is not b.fields
    assert a.fields["verify"][0] is b.fields["verify"][0]
    for items in (a.fields["verify"], a.fields["depends_on"], a.fields["outputs"]):
        assert sys.getsizeof(items) == sys.getsizeof([]) + 8 * len(items)  # a list at its size
    ws = Workspace(repo)
    ws.index  # noqa: B018
    (entry,) = [e for e in ws.scanned if e.rel == "tasks/t3.md"]
    assert ws._known["tasks/t3.md"].path is entry.rel  # one copy of each path, the scan's


def read_answer(read, *args):
    try:
        return read(*args)
    except LocatedError as exc:
        return exc.problem


def test_a_file_read_at_the_size_its_stat_said_reads_as_read_bytes_reads_it(tmp_path):
    path = tmp_path / "a.md"
    path.write_bytes(b"---\ntitle: a\n---\n")
    size = path.stat().st_size
    same = read_answer(textfile.read_sized, str(path), "a.md", size)
    assert same == read_answer(textfile.read_bytes, str(path), "a.md") == path.read_bytes()
    path.write_bytes(b"---\ntitle: longer now\n---\n")  # it grew since the stat
    grown = read_answer(textfile.read_sized, str(path), "a.md", size)
    assert grown == b"---\ntitle: longer now\n---\n"
    path.write_bytes(b"---\n")  # it shrank
    assert read_answer(textfile.read_sized, str(path), "a.md", size) == b"---\n"
    path.unlink()
    path.mkdir()  # a folder now
    problem = read_answer(textfile.read_sized, str(path), "a.md", size)
    assert problem == read_answer(textfile.read_bytes, str(path), "a.md")
    assert problem.code == "not-a-file"
    path.rmdir()
    os.mkfifo(path)  # a pipe, which would block forever: it is named, never waited on
    problem = read_answer(textfile.read_sized, str(path), "a.md", size)
    assert problem == read_answer(textfile.read_bytes, str(path), "a.md")
    assert problem.code == "not-a-file"
    assert read_answer(textfile.read_sized, str(path), "a.md", 0).code == "not-a-file"
    path.unlink()
    problem = read_answer(textfile.read_sized, str(path), "a.md", size)
    assert problem == read_answer(textfile.read_bytes, str(path), "a.md")
    assert problem.code == "missing"


def test_the_built_in_templates_are_read_from_their_folder_as_importlib_reads_them():
    from importlib import resources

    from agentmd.workspace import scaffold

    root = scaffold.template_root()
    assert isinstance(root, Path) and (root / "task.md").is_file()
    packaged = resources.files("agentmd.templates")
    for name in ("task.md", "handoff.md", "base/plan.md", "hooks/hook.sh"):
        text = root.joinpath(name).read_text(encoding="utf-8")
        assert text == packaged.joinpath(name).read_text(encoding="utf-8") and text


def test_the_json_lines_cache_an_earlier_version_left_is_removed_when_the_cache_is_written(repo):
    agents = plan_with_odd_files(repo)
    (agents / ".cache").mkdir(exist_ok=True)
    old = agents / ".cache" / "index.jsonl"
    old.write_text('{"format":"agentmd 0.1.0 index 10","written":1}\n')
    first = records_now(repo)  # no cache of this version: every file parsed, the cache written
    assert not old.exists() and (agents / ".cache" / index_cache.FILE).is_file()
    assert records_now(repo) == first


# What YAML and the fast paths give a field: scalars, and lists and mappings of them.
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=8,
)
RECORDS = st.lists(
    st.tuples(
        st.dictionaries(st.sampled_from(["title", "status", "depends_on", "x.y", "é"]), VALUES),
        st.integers(1, 40),
        st.booleans(),
        st.binary(min_size=20, max_size=20),
        st.booleans(),
    ),
    max_size=12,
)


@settings(max_examples=60, deadline=None)
@given(RECORDS, st.integers(1, 5))
def test_the_cache_reads_back_every_record_it_was_given(tmp_path_factory, items, batch):
    """Any fields a front matter can hold, a problem, a suspect flag and a blob id: the record
    read back from the cache is the one written, with each value of the same type."""
    cache = tmp_path_factory.mktemp("cache") / index_cache.FILE
    problem = Problem(".agents/tasks/t.md", 2, 1, "not-utf8", "byte 0xe9", "save it")
    records = {}
    for n, (fields, body_line, broken, digest, suspect) in enumerate(items):
        rel = f"tasks/t{n}.md"
        lines = {key: 2 + i for i, key in enumerate(fields)}
        record = Record(rel, fields, lines, body_line, problem if broken else None, suspect, digest)
        records[rel] = (key_of(n, 100 + n, 7 + n), record)
    real = index_cache.BATCH
    index_cache.BATCH = batch
    try:
        index_cache.write(cache, records, 1234)
    finally:
        index_cache.BATCH = real
    found, written, kept = index_cache.read(cache, {})
    assert written == 1234 and kept is not None and kept.files == len(records)
    assert found == records
    assert [repr(pair) for pair in found.values()] == [repr(pair) for pair in records.values()]


def other_pythons() -> list[str]:
    """The other CPython 3 interpreters on this machine: on PATH, or beside this one (as
    pyenv keeps them), each one that runs."""
    names = [f"python3.{minor}" for minor in range(4, 20) if minor != sys.version_info[1]]
    found = [shutil.which(name) for name in names]
    found += [str(p) for p in Path(sys.base_prefix).parent.glob("3.*/bin/python3")]
    mine = os.path.realpath(sys.executable)
    usable = []
    for python in dict.fromkeys(p for p in found if p and os.path.realpath(p) != mine):
        ran = subprocess.run(
            [python, "-c", "import sys; print(sys.version_info[:2] >= (3, 4))"],
            capture_output=True,
            text=True,
        )
        if ran.returncode == 0 and ran.stdout.strip() == "True":
            usable.append(python)
    return usable


def test_another_python_reads_the_cache_frames_as_this_one_wrote_them(repo):
    """The header names marshal's version, not Python's: a pipx-installed agentmd and a
    project's own share one cache. Each other CPython here decodes every frame to the values
    this one wrote, and what it writes this one reads."""
    pythons = other_pythons()
    if not pythons:
        pytest.skip("no other CPython on this machine")
    agents = plan_with_odd_files(repo)
    age_all(agents, 60)
    records_now(repo)
    cache = agents / ".cache" / index_cache.FILE
    script = (
        "import marshal, struct, sys\n"
        "data = open(sys.argv[1], 'rb').read()\n"
        "at = data.index(b'\\n') + 1\n"
        "values = []\n"
        "while at < len(data):\n"
        "    (n,) = struct.unpack('>I', data[at:at + 4])\n"
        "    values.append(marshal.loads(data[at + 4:at + 4 + n]))\n"
        "    at += 4 + n\n"
        "sys.stdout.write(repr(values))\n"
        "open(sys.argv[2], 'wb').write(marshal.dumps(values, 4))\n"
    )
    data = cache.read_bytes()
    mine, at = [], data.index(b"\n") + 1
    while at < len(data):
        (length,) = index_cache.LENGTH.unpack(data[at : at + 4])
        mine.append(marshal.loads(data[at + 4 : at + 4 + length]))
        at += 4 + length
    assert mine[-1] is None and len(mine) >= 4  # the written time and layouts, a batch, the end
    for python in pythons:
        written = repo / "from-other.bin"
        out = subprocess.run(
            [python, "-c", script, str(cache), str(written)], capture_output=True, text=True
        )
        assert out.returncode == 0, out.stderr
        assert out.stdout == repr(mine)
        assert marshal.loads(written.read_bytes()) == mine


def test_a_frame_that_claims_more_than_the_file_holds_is_no_cache_and_never_allocated(tmp_path):
    """A broken length (here a gigabyte, in a file of a few bytes) is refused before anything
    is set aside for it: under a 600 MB address-space limit, the read still says "no cache"."""
    cache = tmp_path / index_cache.FILE
    cache.write_bytes(index_cache.HEADER + b"\x3f\xff\xff\xff" + b"abc")
    script = (
        "import resource, sys\n"
        "from pathlib import Path\n"
        "resource.setrlimit(resource.RLIMIT_AS, (600 * 2**20, 600 * 2**20))\n"
        "from agentmd.workspace import index_cache\n"
        "print(index_cache.read(Path(sys.argv[1]), {}))\n"
    )
    ran = subprocess.run([sys.executable, "-c", script, str(cache)], capture_output=True, text=True)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == "({}, 0, None)\n"


def test_a_batch_marshal_cannot_write_is_left_out_and_the_others_kept(tmp_path, monkeypatch):
    """A value nested so deep that a batch of it cannot be written, though the record alone
    can: that batch is left out (its files parsed next time), the rest of the cache kept."""
    monkeypatch.setattr(index_cache, "BATCH", 1)
    deep: list = []
    for _ in range(1997):  # marshal stops at 2,000 levels: the record alone is one fewer
        deep = [deep]
    records = {}
    for n, value in enumerate(["plain", deep, "also plain"]):
        record = Record(f"tasks/t{n}.md", {"title": value}, {"title": 2}, 4)
        records[record.path] = (key_of(n, 10, n), record)
    cache = tmp_path / index_cache.FILE
    index_cache.write(cache, records, 99)
    found = index_cache.read(cache, {})[0]
    assert sorted(found) == ["tasks/t0.md", "tasks/t2.md"]
    assert found["tasks/t2.md"] == records["tasks/t2.md"]
