"""Peak memory of a cold `next` at 10,000 tasks (issue 10): each leaner way of holding what is
read gives the answers the fuller one gave."""

from __future__ import annotations

import os
import random
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from agentmd.files import frontmatter
from agentmd.files.frontmatter import _tiled_load
from agentmd.tasks import graph
from agentmd.workspace import folder
from agentmd.workspace.folder import Workspace, newest_mtime, signature, stat_key, stat_parts
from agentmd.workspace.records import Record, Task, as_list, as_strings
from conftest import cli

# -- stat keys packed in bytes ----------------------------------------------------------------


def fake_stat(mtime: int, size: int, inode: int) -> SimpleNamespace:
    return SimpleNamespace(st_mtime_ns=mtime, st_size=size, st_ino=inode)


@pytest.mark.parametrize(
    "parts",
    [
        (1_764_000_000_123_456_789, 512, 77),
        (0, 0, 0),
        (-5_000_000_000, 3, 2**64 - 1),  # before 1970; the largest inode
        (2**63 + 5, 9, 1),  # past 2262: does not pack in 8 bytes
        (10**30, 12345, 2**40),
    ],
)
def test_a_stat_key_gives_back_the_mtime_size_and_inode_it_was_made_of(parts):
    key = stat_key(fake_stat(*parts))  # type: ignore[arg-type]
    assert stat_parts(key) == parts
    assert (len(key) == 24) == (-(2**63) <= parts[0] < 2**63)


def test_equal_stat_keys_are_equal_bytes_and_different_ones_differ():
    one = stat_key(fake_stat(10, 20, 30))  # type: ignore[arg-type]
    assert one == stat_key(fake_stat(10, 20, 30))  # type: ignore[arg-type]
    others = [(11, 20, 30), (10, 21, 30), (10, 20, 31), (2**63 + 10, 20, 30)]
    assert all(one != stat_key(fake_stat(*p)) for p in others)  # type: ignore[arg-type]


def entries_of(*stamps: tuple[int, int, int]) -> list[folder.Entry]:
    return [
        folder.Entry(f"tasks/t{n}.md", stat_key(fake_stat(*s)), None)  # type: ignore[arg-type]
        for n, s in enumerate(stamps)
    ]


@pytest.mark.parametrize(
    "mtimes",
    [
        [5, 9, 7],
        [1_764_000_000_000_000_000, 1_700_000_000_000_000_000],
        [-10, 3, -2],  # a file from before 1970 sorts as the greatest key: each key is read
        [-10, -2],
        [2**63 + 1, 1_764_000_000_000_000_000],  # a key of text
        [1_764_000_000_000_000_000, 2**64, 2**63 + 1],
    ],
)
def test_the_newest_mtime_is_the_greatest_of_the_files_mtimes(mtimes):
    entries = entries_of(*[(m, 100, n) for n, m in enumerate(mtimes)])
    entries.append(folder.Entry("tasks/odd.md", None, None))  # a problem: no key
    assert newest_mtime(entries) == max(mtimes)
    assert newest_mtime([]) == 0


def reference_signature(entries: list[folder.Entry]) -> str:
    """The signature as it was computed before: the names and stamps joined whole."""
    from struct import Struct

    def name(e: folder.Entry) -> str:
        return e.rel if e.key else f"{e.rel}!{e.problem.problem.code}"  # type: ignore[union-attr]

    names = "\0".join(name(e) for e in entries)
    pack = Struct(">qqQ").pack
    stamps = b"".join(pack(*stat_parts(e.key)) if e.key else bytes(24) for e in entries)
    digest = folder._blake2b(names.encode("utf-8", "surrogateescape"), digest_size=20)
    digest.update(stamps)
    return digest.hexdigest()


def test_the_signature_hashed_in_chunks_is_the_digest_of_the_whole():
    broken = folder._broken(Workspace(Path("/nowhere")), "tasks/x.md", "unreadable", "no")
    for count in (0, 1, 1023, 1024, 1025, 3000):
        entries = entries_of(*[(1_764_000_000_000_000_000 + n, n % 700, n) for n in range(count)])
        if count:
            entries[count // 2] = folder.Entry("tasks/x.md", None, broken)
        assert signature(entries) == reference_signature(entries), count
    # a moved stamp or a renamed file changes it
    entries = entries_of((1, 2, 3), (4, 5, 6))
    assert signature(entries) != signature(entries_of((1, 2, 3), (4, 5, 7)))
    renamed = [entries[0], entries[1]._replace(rel="tasks/other.md")]
    assert signature(entries) != signature(renamed)


def test_the_scan_keys_each_file_by_its_own_stat_and_sizes_are_the_files_sizes(repo):
    cli(repo, "init")
    agents = repo / ".agents"
    (agents / "tasks/a.md").write_text("---\ntitle: A\n---\n")
    (agents / "tasks/b.md").write_text("---\ntitle: B, longer\n---\nbody\n")
    target = repo / "docs" / "c-task.md"
    target.parent.mkdir()
    target.write_text("---\ntitle: C\n---\n")
    (agents / "tasks/c.md").symlink_to(target)  # the odd-entry path: followed in the repo
    ws = Workspace(repo)
    keys = {e.rel: e.key for e in ws.scanned}
    for name in ("a", "b"):
        assert keys[f"tasks/{name}.md"] == stat_key(os.lstat(agents / f"tasks/{name}.md"))
    assert keys["tasks/c.md"] == stat_key(os.stat(target))
    assert ws.sizes["tasks/b.md"] == len("---\ntitle: B, longer\n---\nbody\n")
    assert ws.sizes["tasks/c.md"] == target.stat().st_size
    assert set(ws.sizes) == {e.rel for e in ws.scanned if e.key}


def test_the_size_of_a_few_files_is_each_files_own_and_of_many_from_the_sizes(repo, monkeypatch):
    from agentmd.workspace import folder

    cli(repo, "init")
    agents = repo / ".agents"
    (agents / "tasks/b.md").write_text("---\ntitle: B, longer\n---\nbody\n")
    (repo / "docs").mkdir()
    (repo / "docs" / "c-task.md").write_text("---\ntitle: C\n---\n")
    (agents / "tasks/c.md").symlink_to(repo / "docs" / "c-task.md")
    (agents / "tasks/dir.md").mkdir()
    ws = Workspace(repo)
    assert ws.size_of("tasks/b.md") == len("---\ntitle: B, longer\n---\nbody\n")
    assert ws.size_of("tasks/none.md", 7) == 7  # not a file the read found
    assert "sizes" not in vars(ws)  # a plain file: stat'ed, the sizes of all not worked out
    expected = Workspace(repo).sizes
    assert ws.size_of("tasks/c.md") == expected["tasks/c.md"]  # a link: from the sizes
    assert ws.size_of("tasks/dir.md", 3) == 3 and "sizes" in vars(ws)
    many = Workspace(repo)
    monkeypatch.setattr(folder, "SIZES_AFTER", 2)
    asked = [many.size_of(rel) for rel in expected]
    assert asked == list(expected.values()) and "sizes" in vars(many)  # past 2: the sizes


def set_mtime(path: Path, ns: int) -> None:
    os.utime(path, ns=(ns, ns))
    if os.stat(path).st_mtime_ns != ns:
        pytest.skip(f"this file system does not keep an mtime of {ns} ns")


def test_files_stamped_past_2262_and_before_1970_are_scanned_and_read(repo):
    cli(repo, "init")
    far = repo / ".agents/tasks/far.md"
    far.write_text("---\ntitle: Far\nstatus: todo\n---\n")
    old = repo / ".agents/tasks/old.md"
    old.write_text("---\ntitle: Old\nstatus: todo\n---\n")
    try:
        set_mtime(far, 2**63 + 5 * 10**9)
        set_mtime(old, -5 * 10**9)
    except OSError as exc:
        pytest.skip(f"this file system refuses such an mtime: {exc}")
    ws = Workspace(repo)
    keys = {e.rel: e.key for e in ws.scanned}
    assert keys["tasks/far.md"] is not None and len(keys["tasks/far.md"]) > 24
    assert stat_parts(keys["tasks/far.md"])[0] == 2**63 + 5 * 10**9
    assert stat_parts(keys["tasks/old.md"])[0] == -5 * 10**9  # type: ignore[arg-type]
    assert newest_mtime(ws.scanned) == 2**63 + 5 * 10**9
    assert (ws.tasks["far"].title, ws.tasks["old"].title) == ("Far", "Old")
    assert Workspace(repo).tasks["far"].title == "Far"  # from the cache it wrote
    assert signature(ws.scanned) == signature(Workspace(repo).scanned)


# -- unblock counts and the tasks waiting -----------------------------------------------------


def reference_counts(tasks: dict[str, Task]) -> dict[str, int]:
    """unblock_counts as it was written before, with a dict per fact."""
    ids = [tid for tid, task in tasks.items() if task.status != "done"]
    position = {tid: n for n, tid in enumerate(ids)}
    deps = {tid: [d for d in set(tasks[tid].depends_on) if d in position] for tid in ids}
    dependents: dict[str, list[str]] = {tid: [] for tid in ids}
    pending = dict.fromkeys(ids, 0)
    for tid, parents in deps.items():
        for dep in parents:
            dependents[dep].append(tid)
            pending[dep] += 1
    readers = {tid: len(parents) for tid, parents in deps.items()}
    reach: dict[str, int] = {}
    counts: dict[str, int] = {}
    stack = [tid for tid in ids if pending[tid] == 0]
    while stack:
        tid = stack.pop()
        mask = 0
        for child in dependents[tid]:
            mask |= reach[child] | 1 << position[child]
            readers[child] -= 1
            if readers[child] == 0:
                del reach[child]
        counts[tid] = mask.bit_count()
        if readers[tid]:
            reach[tid] = mask
        for dep in deps[tid]:
            pending[dep] -= 1
            if pending[dep] == 0:
                stack.append(dep)
    return counts


def brute_counts(tasks: dict[str, Task]) -> dict[str, int]:
    """For a graph without cycles: each task's unfinished dependents, walked one by one."""
    waiting: dict[str, set[str]] = {}
    for tid, task in tasks.items():
        if task.status != "done":
            for dep in task.depends_on:
                waiting.setdefault(dep, set()).add(tid)
    counts = {}
    for tid, task in tasks.items():
        if task.status == "done":
            continue
        seen: set[str] = set()
        stack = [tid]
        while stack:
            for other in waiting.get(stack.pop(), ()):
                if other not in seen:
                    seen.add(other)
                    stack.append(other)
        counts[tid] = len(seen)
    return counts


def random_plan(rng: random.Random, size: int, cycles: bool) -> dict[str, Task]:
    tasks = {}
    for n in range(size):
        pool = [f"t{m}" for m in range(size) if cycles or m < n] + ["ghost"]
        deps = [rng.choice(pool) for _ in range(rng.randint(0, 4))] if pool else []
        status = rng.choice(["todo", "todo", "active", "done"])
        fields = {"title": f"T{n}", "status": status, "depends_on": deps}
        tasks[f"t{n}"] = Task.from_record(Record(f"tasks/t{n}.md", fields, {}, 1))
    return tasks


def test_unblock_counts_are_the_ones_reckoned_before_on_random_plans():
    rng = random.Random(10)
    for round_ in range(300):
        tasks = random_plan(rng, rng.randint(0, 40), cycles=round_ % 2 == 1)
        assert graph.unblock_counts(tasks) == reference_counts(tasks), round_
        if round_ % 2 == 0:
            assert graph.unblock_counts(tasks) == brute_counts(tasks), round_


def test_unblock_counts_of_a_chain_a_fork_and_a_cycle():
    def plan(**deps: list[str]) -> dict[str, Task]:
        return {
            tid: Task.from_record(Record(f"tasks/{tid}.md", {"depends_on": d}, {}, 1))
            for tid, d in deps.items()
        }

    chain = plan(a=[], b=["a"], c=["b", "b"], d=["c", "a"])
    assert graph.unblock_counts(chain) == {"a": 3, "b": 2, "c": 1, "d": 0}
    looped = plan(a=[], b=["a", "c"], c=["b"], d=["a"])
    found = graph.unblock_counts(looped)
    assert found == {"d": 0} and found == reference_counts(looped)


def test_the_tasks_waiting_on_one_are_the_sorted_tasks_not_done_that_name_it():
    rng = random.Random(7)
    tasks = random_plan(rng, 30, cycles=True)
    waiting = graph.KeptCounts().waiting(tasks)
    for tid in [*tasks, "ghost", "nobody"]:
        expected = sorted(
            other
            for other, task in tasks.items()
            if task.status != "done" and tid in task.depends_on
        )
        assert list(waiting.get(tid, ())) == expected, tid
        if expected:
            assert waiting[tid] == expected
        else:
            with pytest.raises(KeyError):
                waiting[tid]
    assert waiting.get("nobody", ()) == () and waiting.get("nobody", ["x"]) == ["x"]


# -- what the parser shares -------------------------------------------------------------------

TASK = """title: Implement billing piece {n}
status: todo
priority: medium
depends_on: [t0, t{n}]
inputs: [src/billing/base.py]
outputs: [src/billing/m{n}.py, tests/billing/test_m{n}.py]
verify:
  - python -m pytest tests/billing/test_m{n}.py -q
base: 3d4756b6fe44dc12657528033076479fd15b0029
tags:
  - billing
created: 2026-02-02
"""


def test_shared_strings_give_the_answers_interned_ones_give():
    strings: dict[str, str] = {}
    for n in range(5):
        raw = TASK.format(n=n)
        alone: dict[str, int] = {}
        shared: dict[str, int] = {}
        assert _tiled_load(raw, alone, 2) == _tiled_load(raw, shared, 2, strings)
        assert alone == shared
    first = _tiled_load(TASK.format(n=1), {}, 2, strings)
    second = _tiled_load(TASK.format(n=2), {}, 2, strings)
    assert first is not None and second is not None
    a, b = first[0], second[0]
    assert a["inputs"][0] is b["inputs"][0]  # one string for the path both read
    assert a["base"] is b["base"] and a["tags"][0] is b["tags"][0]
    assert a["depends_on"][0] is b["depends_on"][0]
    assert a["outputs"][0] == "src/billing/m1.py"
    assert a["outputs"][0] is strings["src/billing/m1.py"]


def test_parsed_lists_are_held_at_their_size():
    found = _tiled_load(TASK.format(n=3) + "empty: []\n", {}, 2, {})
    assert found is not None
    for key in ("depends_on", "inputs", "outputs", "verify", "tags", "empty"):
        value = found[0][key]
        assert type(value) is list
        assert sys.getsizeof(value) == sys.getsizeof(value[:]), key
    assert found[0]["empty"] == []


def test_a_key_set_again_after_its_list_keeps_its_last_value():
    for raw, expected in [
        ("a: a\nb:\n- x\nb:\n", {"a": "a", "b": None}),
        ("b:\n- x\nb: y\n", {"b": "y"}),
        ("b:\n- x\nb:\n- y\n- z\n", {"b": ["y", "z"]}),
    ]:
        found = _tiled_load(raw, {}, 2, {})
        assert found is not None and found[0] == expected, raw
        assert frontmatter._plain_load(raw, {}, 2) == expected


# -- a task's fields are its record's ---------------------------------------------------------


def test_a_tasks_lists_are_its_records_and_odd_values_are_read_as_before():
    fields = {"depends_on": ["a", "b"], "inputs": "src/x.py", "outputs": ["o", 3, None]}
    task = Task.from_record(Record("tasks/t.md", fields, {}, 1))
    assert task.depends_on is fields["depends_on"]
    assert task.inputs == ("src/x.py",)
    assert task.outputs == ("o", "3")
    assert task.verify == ()
    assert task.paths == ("src/x.py", "o", "3")
    assert hash(task.paths) == hash(("src/x.py", "o", "3"))
    listed = ["x"]
    assert as_strings(listed) is listed
    for value in (("x",), [{"a": 1}], ["x", None], "x", 3, None, [], {"k": "v"}):
        assert tuple(as_strings(value)) == as_list(value), value  # read as it was before


def test_a_tasks_id_is_the_string_its_dependents_name_it_by(repo):
    cli(repo, "init")
    tasks_dir = repo / ".agents/tasks"
    (tasks_dir / "base.md").write_text("---\ntitle: Base\nstatus: todo\n---\n")
    (tasks_dir / "top.md").write_text("---\ntitle: Top\ndepends_on: [base]\n---\n")
    (tasks_dir / "odd.md").write_text("---\ntitle: Odd\ndepends_on:\n  - {a: 1}\n  - base\n---\n")
    tasks = Workspace(repo).tasks
    assert tasks["base"].id == "base"
    assert tasks["base"].id is tasks["top"].depends_on[0]
    assert list(tasks) == ["base", "odd", "top"]
    assert tasks["top"].id == "top" and tasks["odd"].depends_on == ("{'a': 1}", "base")


def test_a_refresh_builds_the_task_of_a_changed_file_only(repo):
    cli(repo, "init")
    one, two = repo / ".agents/tasks/one.md", repo / ".agents/tasks/two.md"
    one.write_text("---\ntitle: One\n---\n")
    two.write_text("---\ntitle: Two\n---\n")
    past = 1_600_000_000_000_000_000
    for path in (one, two):
        os.utime(path, ns=(past, past))
    ws = Workspace(repo)
    before = ws.tasks
    one.write_text("---\ntitle: One again\n---\n")
    os.utime(one, ns=(past + 10**9, past + 10**9))
    ws.refresh()
    after = ws.tasks
    assert after["two"] is before["two"] and after["one"] is not before["one"]
    assert after["one"].title == "One again"


def test_a_key_is_less_than_the_bound_of_a_time_when_its_mtime_is_before_that_time():
    from agentmd.workspace.statkey import key_of, older_than

    rng = random.Random(3)
    times = [0, 1, 10**9, 1_764_000_000_000_000_000, 2**63 - 1, -1, -(10**9), 2**63, 2**70]
    times += [rng.randrange(-(2**64), 2**64) for _ in range(60)]
    for mtime in times:
        for bound in times:
            key = key_of(mtime, rng.randrange(0, 2**40), rng.randrange(0, 2**64))
            less = key < older_than(bound)
            if less:  # never trusted when it is not before: fails closed
                assert mtime < bound, (mtime, bound)
            if 0 <= mtime < 2**63 and 0 <= bound < 2**63:
                assert less == (mtime < bound), (mtime, bound)
