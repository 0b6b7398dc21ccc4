"""Parsing on more than one core (workspace/forked.py): shares worked in forked processes come
back as the parent would have worked them, and a share that does not come back whole is worked
by the parent."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from types import SimpleNamespace

import pytest

from agentmd.workspace import folder, forked, index_cache
from agentmd.workspace.folder import Workspace
from conftest import cli
from test_cold_paths import TASK, age_all, plan_with_odd_files, records_now

PARENT = os.getpid()


def squares(share) -> list[tuple[int, int]]:
    return [(item * item, os.getpid()) for item in share]


def as_sent(_, results: list[tuple[int, int]]) -> list[list[int]]:
    return [list(result) for result in results]


def as_received(share, values: object) -> list[tuple[int, int]]:
    if type(values) is not list or not all(type(v) is list and len(v) == 2 for v in values):
        raise TypeError("another shape")
    return [(v[0], v[1]) for v in values]


@contextmanager
def failing_after(seconds: int, why: str) -> Iterator[None]:
    """The block, failed with `why` if it has not ended within `seconds` (SIGALRM)."""
    import signal

    def ring(number, frame):
        raise TimeoutError(why)

    before = signal.signal(signal.SIGALRM, ring)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, before)


def test_the_shares_worked_in_other_processes_come_back_in_order():
    results = forked.map_forked(range(30), squares, as_sent, as_received, 3)
    assert [value for value, _ in results] == [n * n for n in range(30)]
    workers = [pid for _, pid in results]
    # dealt out as cards are: every third item from 1 and from 2 one forked process's own;
    # the parent's share (from 0) in pieces, each taken by whichever process was free
    assert len(set(workers[1::3])) == len(set(workers[2::3])) == 1
    assert len({PARENT, workers[1], workers[2]}) == 3
    assert set(workers[0::3]) <= {PARENT, workers[1], workers[2]}
    assert forked.map_forked([7], squares, as_sent, as_received, 3) == [(49, PARENT)]


def test_the_parents_pieces_are_taken_by_the_others_while_it_does_its_meanwhile(tmp_path):
    def marked(share) -> list[tuple[int, int]]:
        if os.getpid() != PARENT and share[0] % 2 == 0:  # one of the parent's pieces
            for item in share:
                (tmp_path / f"{item}.piece").write_text("")
        return squares(share)

    ran = []

    def meanwhile() -> None:  # the parent's imports: here, until the others took every piece
        ran.append(os.getpid())
        deadline = time.monotonic() + 20
        while len(list(tmp_path.glob("*.piece"))) < 40 and time.monotonic() < deadline:
            time.sleep(0.01)

    results = forked.map_forked(range(80), marked, as_sent, as_received, 2, meanwhile)
    assert ran == [PARENT]
    assert [value for value, _ in results] == [n * n for n in range(80)]
    child = results[1][1]
    assert child != PARENT and {pid for _, pid in results} == {child}  # the child did it all
    assert len(list(tmp_path.glob("*.piece"))) == 40  # the 40 items of the parent's share
    # with one process there is nothing to do meanwhile: the command does it when it needs it
    assert forked.map_forked(range(80), squares, as_sent, as_received, 1, meanwhile) == [
        (n * n, PARENT) for n in range(80)
    ]
    assert ran == [PARENT]


def test_a_piece_taken_by_a_process_that_fails_is_worked_by_the_parent(tmp_path):
    gone = tmp_path / "gone"

    def failing_late(share) -> list[tuple[int, int]]:
        if os.getpid() != PARENT and share[0] % 2 == 0:  # one of the parent's pieces
            gone.write_text("")
            os._exit(3)  # after its own share, before sending anything back
        return squares(share)

    def meanwhile() -> None:  # until the child took a piece of the parent's share and died
        deadline = time.monotonic() + 20
        while not gone.exists() and time.monotonic() < deadline:
            time.sleep(0.01)

    results = forked.map_forked(range(40), failing_late, as_sent, as_received, 2, meanwhile)
    assert gone.exists()
    assert [value for value, _ in results] == [n * n for n in range(40)]
    assert {pid for _, pid in results[0::2]} == {PARENT}  # the lost piece too, worked here
    # the pieces of its own share it sent before it failed came back whole: they are used
    assert PARENT not in {pid for _, pid in results[1::2]}


def test_a_share_whose_process_fails_is_worked_by_the_parent():
    def only_here(share) -> list[tuple[int, int]]:
        if os.getpid() != PARENT:
            raise RuntimeError("a bug that shows in the forked process only")
        return squares(share)

    results = forked.map_forked(range(20), only_here, as_sent, as_received, 2)
    assert results == [(n * n, PARENT) for n in range(20)]


def test_a_share_sent_back_in_another_shape_or_cut_short_is_worked_by_the_parent():
    def junk(share, results: list) -> object:
        if 25 in share:
            os._exit(0)  # gone before writing a byte, and "successfully"
        return [[1, 2, 3]] * len(results)  # not pairs

    def short(share, results: list) -> object:
        return as_sent(share, results)[:-1]  # one result too few

    for encode in (junk, short):
        for count in (2, 3):
            results = forked.map_forked(range(30), squares, encode, as_received, count)
            assert results == [(n * n, PARENT) for n in range(30)]


def test_a_process_that_sends_junk_and_writes_on_is_stopped(monkeypatch):
    """Three processes: the first forked sends a size that is junk, then writes past its
    pipe's room. The one forked after it holds that pipe open too, and itself sends more than
    its own pipe's room once the parent waits: only killing the first ends its write. The
    parent works its share and answers."""

    junk, slept = [], []  # set in the process that sends junk; in the other

    def work(share) -> list[tuple[int, int]]:
        if os.getpid() != PARENT:
            if 1 in share:
                junk.append(True)
            elif not slept:
                slept.append(time.sleep(0.5))  # sends once the parent has done its own share
        return squares(share)

    def padded(share, results: list) -> list:  # 300 KB for each result: past a pipe's room
        return [[*result, "x" * 300_000] for result in results]

    def unpadded(share, values: object) -> list[tuple[int, int]]:
        return as_received(share, [v[:2] for v in values])  # type: ignore[attr-defined]

    real_write = forked._write_all

    def write(fd: int, data: bytes) -> None:
        if not junk:
            return real_write(fd, data)
        real_write(fd, (1 << 40).to_bytes(forked.SIZE, "little"))
        while True:  # blocks once the pipe is full: it never ends by itself
            real_write(fd, bytes(1 << 20))

    monkeypatch.setattr(forked, "_write_all", write)
    with failing_after(20, "map_forked waited forever for a process that sent junk"):
        results = forked.map_forked(range(30), work, padded, unpadded, 3)
    assert [result for result, _ in results] == [n * n for n in range(30)]
    assert {pid for _, pid in results[1::3]} == {PARENT}  # the junk sender's share, worked here
    assert PARENT not in {pid for _, pid in results[2::3]}  # the other's, as it sent it


def test_a_forked_process_does_not_run_the_parents_signal_handlers(tmp_path):
    import signal

    ran = tmp_path / "handler-ran"

    def handler(number, frame):
        ran.write_text(str(os.getpid()))

    def terminated(share) -> list[tuple[int, int]]:
        if os.getpid() != PARENT:
            os.kill(os.getpid(), signal.SIGTERM)  # as a loop's shutdown would reach it
            time.sleep(5)
        return squares(share)

    before = signal.signal(signal.SIGTERM, handler)
    try:
        results = forked.map_forked(range(20), terminated, as_sent, as_received, 2)
    finally:
        signal.signal(signal.SIGTERM, before)
    assert results == [(n * n, PARENT) for n in range(20)]  # its share, worked here
    assert not ran.exists()  # the handler is the parent's: the child just ended
    assert os.getpid() == PARENT


def test_an_interrupted_parent_leaves_no_process_working(tmp_path):
    def slow(share) -> list[tuple[int, int]]:
        if os.getpid() != PARENT:
            (tmp_path / f"{os.getpid()}.pid").write_text("")
            time.sleep(60)
        else:  # the parent's own share: ^C once the others have started
            deadline = time.monotonic() + 20
            while len(list(tmp_path.glob("*.pid"))) < 2 and time.monotonic() < deadline:
                time.sleep(0.01)
            raise KeyboardInterrupt
        return squares(share)

    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        forked.map_forked(range(30), slow, as_sent, as_received, 3)
    assert time.monotonic() - started < 30  # not a minute of waiting for them
    pids = [int(path.stem) for path in tmp_path.glob("*.pid")]
    assert len(pids) == 2
    for pid in pids:  # stopped and reaped, not left running or as zombies
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_how_many_processes(monkeypatch):
    monkeypatch.delenv(forked.JOBS_ENV, raising=False)
    monkeypatch.setattr(forked, "_cgroup_quota", lambda: 0)
    monkeypatch.setattr(os, "sched_getaffinity", lambda _: {0, 1, 2, 3}, raising=False)
    many = 10 * forked.PER_PROCESS
    assert forked.processes(many) == 4  # a process a core
    assert forked.processes(3 * forked.PER_PROCESS) == 3  # each with enough to do
    assert forked.processes(2 * forked.PER_PROCESS - 1) == 1  # too few to be worth a fork
    monkeypatch.setattr(os, "sched_getaffinity", lambda _: set(range(64)), raising=False)
    assert forked.processes(100 * forked.PER_PROCESS) == forked.MAX_PROCESSES
    monkeypatch.setattr(os, "sched_getaffinity", lambda _: {0}, raising=False)
    assert forked.processes(many) == 1  # one core: one process
    monkeypatch.setattr(os, "sched_getaffinity", lambda _: {0, 1, 2, 3}, raising=False)
    for asked, expected in (("1", 1), ("2", 2), ("16", 4), ("0", 1), ("many", 4), (" 3 ", 3)):
        monkeypatch.setenv(forked.JOBS_ENV, asked)
        assert forked.processes(many) == expected, asked
    monkeypatch.delenv(forked.JOBS_ENV)
    stop = threading.Event()
    watcher = threading.Thread(target=stop.wait)
    watcher.start()
    try:  # a process with another thread (the loop's watcher) never forks
        assert forked.processes(many) == 1
    finally:
        stop.set()
        watcher.join()
    assert forked.processes(many) == 4
    monkeypatch.setattr(forked, "_cgroup_quota", lambda: 2)  # a container's quota of 2 CPUs
    assert forked.processes(many) == 2
    monkeypatch.setattr(forked, "_cgroup_quota", lambda: 0)

    def refused(_):
        raise OSError("not in this sandbox")

    monkeypatch.setattr(os, "sched_getaffinity", refused, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 3)
    assert forked.processes(many) == 3  # then the machine's count
    monkeypatch.setattr(sys, "platform", "darwin")
    assert forked.processes(many) == 1  # only where it is tested: Linux


@pytest.mark.parametrize(
    "files, cpus",
    [
        ({"cpu.max": "max 100000\n"}, 0),
        ({"cpu.max": "50000 100000\n"}, 1),
        ({"cpu.max": "150000 100000\n"}, 2),
        ({"cpu/cpu.cfs_quota_us": "200000\n", "cpu/cpu.cfs_period_us": "100000\n"}, 2),
        ({"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, 0),
        ({"cpu.max": "junk\n"}, 0),
        ({}, 0),
    ],
)
def test_a_cgroups_cpu_quota_is_read_from_v2_or_v1_files(tmp_path, files, cpus):
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert forked._cgroup_quota(str(tmp_path)) == cpus


def test_with_sigchld_ignored_the_children_are_reaped_by_the_system_and_still_used():
    import signal

    before = signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # as a supervisor may pass it on
    try:
        results = forked.map_forked(range(30), squares, as_sent, as_received, 3)
    finally:
        signal.signal(signal.SIGCHLD, before)
    assert [value for value, _ in results] == [n * n for n in range(30)]
    others = {pid for _, pid in results[1::3]} | {pid for _, pid in results[2::3]}
    assert len(others) == 2 and PARENT not in others  # what the two others sent was used


WINDOW = """
import atexit, ctypes, functools, os, signal, sys
from agentmd.workspace import forked
parent = os.getpid()
libc = ctypes.CDLL(None)
side = sys.argv[1]
# A ^C that lands just as os.fork() returns, in the child or in the parent
hook = functools.partial(getattr(libc, "raise"), signal.SIGINT)
os.register_at_fork(**{f"after_in_{side}": hook})
atexit.register(lambda: print(f"atexit in {'the parent' if os.getpid() == parent else 'a child'}"))
sys.stdout.write("written before the fork, not flushed\\n")
fds = len(os.listdir("/proc/self/fd"))
def work(share):
    return [(x, os.getpid()) for x in share]
try:
    found = forked.map_forked(list(range(10)), work, lambda s, r: r, lambda s, v: v, 3)
    print("results from", "the parent alone" if {p for _, p in found} == {parent} else "children")
except KeyboardInterrupt:
    print(f"interrupted in {'the parent' if os.getpid() == parent else 'a child'}")
children = open(f"/proc/self/task/{parent}/children").read().split()
print(f"children left {len(children)}, fds left {len(os.listdir('/proc/self/fd')) - fds}")
"""


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs Linux's /proc")
@pytest.mark.parametrize(
    "side, said",
    [
        # the child ends by the ^C, before anything of the parent's runs in it: its share is
        # worked by the parent
        ("child", "results from the parent alone"),
        # the parent takes the ^C once it knows the child, and stops it
        ("parent", "interrupted in the parent"),
    ],
)
def test_a_sigint_just_as_a_fork_returns_runs_nothing_of_the_parents_twice(tmp_path, side, said):
    script = tmp_path / "window.py"
    script.write_text(WINDOW)
    run = subprocess.run(
        [sys.executable, str(script), side], capture_output=True, text=True, timeout=60
    )
    assert run.stdout.splitlines() == [
        "written before the fork, not flushed",
        said,
        "children left 0, fds left 0",
        "atexit in the parent",
    ], run.stderr


# A cold read of `plan_with_odd_files`: the tasks on four processes, then the other files, too
# few to fork, in one.
COLD = [(4, 0)]  # one read: the tasks, then the other files


@pytest.fixture
def forking(monkeypatch):
    """A scan and a cold read of a small plan fork as those of thousands of files do on four
    cores. Recorded for each (forked.staged, which map_forked calls): the processes asked for,
    and how many items of the other processes' own shares the parent worked (none, when every
    share came back and was used)."""
    assert threading.active_count() == 1, "a thread left running: nothing here would fork"
    monkeypatch.delenv(forked.JOBS_ENV, raising=False)
    monkeypatch.setattr(forked, "PER_PROCESS", 5)
    monkeypatch.setattr(folder, "SCAN_PER_PROCESS", 5)
    monkeypatch.setattr(os, "sched_getaffinity", lambda _: {0, 1, 2, 3}, raising=False)
    monkeypatch.setattr(forked, "_cgroup_quota", lambda: 0)
    runs: list[tuple[int, int]] = []
    real = forked.staged

    def recorded(first, later, work, encode, decode, count, meanwhile=None, *rest):
        # the other processes' own: their shares of the first items, and every later one
        theirs = {id(item) for n in range(1, count) for item in first[n::count]}
        theirs |= {id(item) for item in later} if count > 1 else set()
        here = []

        def counted(share):
            if os.getpid() == PARENT:
                here.extend(item for item in share if id(item) in theirs)
            return work(share)

        found = real(first, later, counted, encode, decode, count, meanwhile, *rest)
        runs.append((count, len(here)))
        return found

    monkeypatch.setattr(forked, "staged", recorded)  # map_forked's too
    return runs


def test_a_cold_read_on_four_cores_gives_the_records_of_one_process(repo, forking, monkeypatch):
    agents = plan_with_odd_files(repo)
    # a value marshal cannot write: that one file is parsed by the parent, the share is used
    (agents / "tasks" / "dated.md").write_text("---\ntitle: d\ndue: !!timestamp 2024-01-02\n---\n")
    age_all(agents, 60)
    forked_read = records_now(repo)
    assert forking == COLD  # no cache: each file stat'ed as it is parsed; 3 shares back
    (agents / ".cache" / index_cache.FILE).unlink()
    monkeypatch.setenv(forked.JOBS_ENV, "1")
    alone = records_now(repo)
    assert forking[1:] == [(1, 0)]
    fresh = {rel: folder.read_record(Workspace(repo), rel) for rel in alone}
    assert forked_read == alone == fresh  # the broken, the odd and the twice-set alike
    assert forked_read["tasks/broken.md"].problem.code == "not-utf8"
    assert forked_read["tasks/twice.md"].suspect
    assert repr(forked_read["tasks/dated.md"].fields["due"]) == "datetime.date(2024, 1, 2)"
    # One `lines` dict for each layout, whichever process parsed the file.
    tasks = sorted(rel for rel in forked_read if rel.startswith("tasks/t"))
    layouts = {id(forked_read[rel].lines) for rel in tasks}
    assert len(layouts) == len({tuple(forked_read[rel].lines.items()) for rel in tasks}) >= 1
    # and each record's path is the scan's own string
    ws = Workspace(repo)
    ws.index  # noqa: B018 - read from the cache written just above
    assert all(ws._known[e.rel].path is e.rel for e in ws.scanned if e.problem is None)


def test_a_touch_of_every_file_read_on_four_cores_copies_the_cache(repo, forking, monkeypatch):
    agents = plan_with_odd_files(repo)
    age_all(agents, 60)
    first = records_now(repo)
    age_all(agents, 30)  # every stat key moves and no byte: each process reads and hashes only
    encoded = []
    real = index_cache._encoded
    monkeypatch.setattr(index_cache, "_encoded", lambda *a: encoded.append(a) or real(*a))
    ws = Workspace(repo)
    in_cache = index_cache.read(agents / ".cache" / index_cache.FILE, {}, {})[0]
    cached = {rel: record for rel, (_, record) in in_cache.items()}
    again = records_now(repo)
    assert forking == [*COLD, (4, 0), (4, 0)] and again == first == cached  # the first read,
    # then a scan and the reading of every file again
    assert encoded == []  # every record the one read from the cache: the file copied
    ws.index  # noqa: B018 - and what it copied reads back
    assert dict(ws._known) == first


def test_next_on_four_cores_prints_what_one_process_prints(repo, forking, monkeypatch):
    agents = plan_with_odd_files(repo)
    (agents / "tasks" / "broken.md").unlink()
    age_all(agents, 60)
    four = cli(repo, "next")
    assert forking == COLD and four.exit_code == 0, four.output
    assert "t2" in four.stdout
    shutil.rmtree(agents / ".cache")
    monkeypatch.setenv(forked.JOBS_ENV, "1")
    one = cli(repo, "next")
    assert forking[1:] == [(1, 0)]
    assert (one.exit_code, one.stdout, one.stderr) == (four.exit_code, four.stdout, four.stderr)


def test_a_cold_next_ranks_the_tasks_while_the_other_files_are_read(repo, forking, monkeypatch):
    from agentmd.prompt import next as core

    agents = plan_with_odd_files(repo)
    (agents / "tasks" / "broken.md").unlink()
    for n in range(12):  # enough handoffs for their read to fork too
        handoff = f"---\ntask: t{n % 2}\nstatus: done\n---\n## Summary\n\nHandoff {n}.\n"
        (agents / "handoffs" / f"2026-06-{n + 1:02d}-t{n % 2}.md").write_text(handoff)
    age_all(agents, 60)
    seen = []
    real_rank_ahead = core.rank_ahead

    def rank_ahead(ws):
        index = ws.__dict__.get("index")  # the index as it is then: plan.md and the tasks
        seen.append({name: len(group) for name, group in index.groups.items()})
        real_rank_ahead(ws)

    monkeypatch.setattr(core, "rank_ahead", rank_ahead)
    four = cli(repo, "next")
    assert four.exit_code == 0, four.output
    assert forking == [(4, 0)]  # the tasks, then the other files, in one read
    tasks = len(list((agents / "tasks").glob("*.md")))
    assert seen == [{"tasks": tasks, "handoffs": 0, "decisions": 0, "gotchas": 0, "rules": 0}]
    shutil.rmtree(agents / ".cache")
    monkeypatch.setenv(forked.JOBS_ENV, "1")
    one = cli(repo, "next")  # in one process, ranked once every file is read
    assert forking[1:] == [(1, 0)] and len(seen) == 1
    assert (one.exit_code, one.stdout, one.stderr) == (four.exit_code, four.stdout, four.stderr)
    assert "t2" in four.stdout


def test_a_ranking_ahead_that_fails_fails_where_the_command_ranks(repo, forking, monkeypatch):
    from agentmd.tasks import graph

    agents = plan_with_odd_files(repo)
    (agents / "tasks" / "broken.md").unlink()
    for n in range(12):
        (agents / "handoffs" / f"2026-06-{n + 1:02d}-t0.md").write_text("---\ntask: t0\n---\n")
    age_all(agents, 60)
    calls = []

    def failing(tasks):
        calls.append(os.getpid())
        raise RuntimeError("a bug in the ranking")

    monkeypatch.setattr(graph, "unblocked", failing)
    said = cli(repo, "next")
    assert said.exit_code != 0 and "a bug in the ranking" in said.output
    assert calls == [PARENT, PARENT]  # ahead, and again where the command ranks
    assert forking == [(4, 0)]


def test_a_read_that_fails_after_ranking_ahead_keeps_nothing_it_ranked(repo, forking, monkeypatch):
    from agentmd.prompt import next as core

    agents = plan_with_odd_files(repo)
    for n in range(12):  # enough handoffs for their read to fork, the tasks ranked meanwhile
        (agents / "handoffs" / f"2026-06-{n + 1:02d}-t0.md").write_text("---\ntask: t0\n---\n")
    age_all(agents, 60)
    real = folder._gathered
    calls = []

    def failing_once(ws, listings, *rest):
        calls.append(len(calls))
        if len(calls) == 2:  # the other files', once the tasks were ranked
            raise RuntimeError("a read that fails")
        return real(ws, listings, *rest)

    monkeypatch.setattr(folder, "_gathered", failing_once)
    ws = Workspace(repo)
    ws.once_tasks_read = partial(core.rank_ahead, ws)
    with pytest.raises(RuntimeError):
        ws.index  # noqa: B018 - fails, with the tasks ranked ahead
    assert forking == [(4, 0)]
    assert {"tasks", "unblocked", "index"}.isdisjoint(vars(ws)) and ws._unblocks is None
    (agents / "tasks" / "t2.md").write_text(TASK.format(n=2, status="done", deps="t1"))
    ws.index  # noqa: B018 - read again: the ranking is of this read's tasks
    assert ws.tasks["t2"].status == "done"


def test_the_processes_leave_nothing_behind(repo, forking):
    agents = plan_with_odd_files(repo)
    age_all(agents, 60)
    children = Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children")
    if not children.exists():
        pytest.skip("needs Linux's /proc")
    records_now(repo)
    assert forking == COLD
    assert children.read_text().split() == []  # none left, running or a zombie


def plan_with_odd_names(repo: Path, tmp_path: Path) -> Path:
    """`plan_with_odd_files`, and names that are not plain files: a symlink within the
    repository, one out of it, a folder."""
    agents = plan_with_odd_files(repo)
    (agents / "tasks" / "inside.md").symlink_to(agents / "tasks" / "t3.md")
    outside = tmp_path / "outside.md"
    outside.write_text("---\ntitle: elsewhere\n---\n")
    (agents / "tasks" / "outside.md").symlink_to(outside)
    (agents / "tasks" / "folder.md").mkdir()
    return agents


def test_a_scan_on_four_cores_finds_what_one_process_finds(repo, tmp_path, forking, monkeypatch):
    agents = plan_with_odd_names(repo, tmp_path)
    (agents / "rules").mkdir(exist_ok=True)
    (agents / "rules" / "style.md").write_text("---\ntitle: Style\n---\nShort lines.\n")
    many = folder.scan(Workspace(repo))
    monkeypatch.setenv(forked.JOBS_ENV, "1")
    one = folder.scan(Workspace(repo))
    assert forking == [(4, 0), (1, 0)]
    assert many == one
    by_rel = {entry.rel: entry for entry in many}
    assert by_rel["tasks/inside.md"].key is not None  # a symlink within the repository
    problems = {rel: e.problem.problem.code for rel, e in by_rel.items() if e.problem}
    assert problems == {"tasks/outside.md": "symlink-outside", "tasks/folder.md": "not-a-file"}
    assert by_rel["rules/style.md"].key == folder.stat_key(os.lstat(agents / "rules/style.md"))


@pytest.mark.parametrize("cores", [4, 1])
def test_a_cold_read_stats_each_file_as_it_opens_it_and_finds_what_a_scan_finds(
    repo, tmp_path, forking, monkeypatch, cores
):
    agents = plan_with_odd_names(repo, tmp_path)
    (agents / "tasks" / "link.md").symlink_to("t2.md")  # a relative link, read where forked
    os.mkfifo(agents / "tasks" / "pipe.md")  # never opened: it would block, or free a writer
    writer = subprocess.Popen(  # waits in open() for a reader; it gets none
        [
            sys.executable,
            "-c",
            "import os, sys; print(flush=True); os.open(sys.argv[1], os.O_WRONLY)",
            str(agents / "tasks" / "pipe.md"),
        ],
        stdout=subprocess.PIPE,
    )
    assert writer.stdout is not None and writer.stdout.readline() == b"\n"
    time.sleep(0.2)  # into its open()
    (agents / "tasks" / "empty.md").write_text("")
    shutil.rmtree(agents / "memory" / "decisions")  # a folder that is missing
    (agents / "rules").mkdir(exist_ok=True)
    (agents / "rules" / "style.md").write_text("---\ntitle: Style\n---\nShort lines.\n")
    age_all(agents, 60)
    (agents / "tasks" / "gone.md").symlink_to(agents / "tasks" / "nothing.md")
    if cores == 1:
        monkeypatch.setenv(forked.JOBS_ENV, "1")
    parsed_here = []
    real_parse = folder._parse_record
    monkeypatch.setattr(
        folder,
        "_parse_record",
        lambda ws, rel, *rest: (
            (os.getpid() == PARENT and parsed_here.append(rel)) or real_parse(ws, rel, *rest)
        ),
    )
    cold = Workspace(repo)
    try:
        cold.index  # noqa: B018 - no cache, nothing scanned: read as it is stat'ed
        with pytest.raises(subprocess.TimeoutExpired):
            writer.wait(timeout=0.3)  # still waiting: the pipe was never opened
    finally:
        writer.kill()
        writer.wait()
    assert forking == [(cores, 0)]  # the read (the tasks, the rest), no scan before it
    if cores > 1:  # links within the repository were read in the other processes
        assert parsed_here == ["plan.md"]
    assert (agents / ".cache" / index_cache.FILE).exists()
    (agents / ".cache" / index_cache.FILE).unlink()
    scanned = Workspace(repo)
    assert scanned.scanned == cold.scanned  # the entries, each file's stat key, the problems
    scanned.index  # noqa: B018 - scanned first: the scan's way, then each file parsed
    assert forking[1:] == [(cores, 0)] * 2
    assert dict(cold._known) == dict(scanned._known)
    assert list(cold._known) == [e.rel for e in cold.scanned]  # in the scan's order
    problems = {e.rel: e.problem.problem.code for e in cold.scanned if e.problem}
    assert problems == {
        "tasks/outside.md": "symlink-outside",
        "tasks/gone.md": "unreadable",
        "tasks/folder.md": "not-a-file",
        "tasks/pipe.md": "not-a-file",
    }
    assert cold._known["tasks/inside.md"].fields == cold._known["tasks/t3.md"].fields
    assert cold._known["tasks/link.md"].fields == cold._known["tasks/t2.md"].fields
    assert cold._known["tasks/empty.md"].fields == {}


def children_of_this_process() -> list[str]:
    children = Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children")
    if not children.exists():
        pytest.skip("needs Linux's /proc")
    return children.read_text().split()


def test_a_cold_next_writes_the_cache_behind_and_waits_for_it(repo, forking, monkeypatch):
    from agentmd.prompt import next as core

    agents = plan_with_odd_files(repo)
    (agents / "tasks" / "broken.md").unlink()
    age_all(agents, 60)
    behind, prepared = [], []
    real_background, real_prepare = forked.in_background, core.prepare
    monkeypatch.setattr(
        forked, "in_background", lambda t: behind.append(real_background(t)) or behind[-1]
    )
    monkeypatch.setattr(core, "prepare", lambda: prepared.append(os.getpid()) or real_prepare())
    first = cli(repo, "next")
    assert first.exit_code == 0, first.output
    assert behind == [] and forked._BACKGROUND == []  # written by the process that read the
    assert children_of_this_process() == []  # other files, waited for as the command ended
    assert prepared == [PARENT]  # the prompt's imports, done while the others read
    cached = index_cache.read(agents / ".cache" / index_cache.FILE, {}, {})[0]
    shutil.rmtree(agents / ".cache")
    monkeypatch.setenv(forked.JOBS_ENV, "1")
    one = cli(repo, "next")  # in one process: no fork, no import ahead, the cache written here
    assert (one.exit_code, one.stdout, one.stderr) == (0, first.stdout, first.stderr)
    assert behind == [] and prepared == [PARENT]
    assert index_cache.read(agents / ".cache" / index_cache.FILE, {}, {})[0] == cached


def test_a_cold_next_has_the_reader_of_the_other_files_write_the_cache(
    repo, forking, monkeypatch, tmp_path
):
    """The process that reads the handoffs and memory holds every record once it has sent
    them: it writes the cache while the command ranks and compiles, and no writer forks
    after the read."""
    agents = plan_with_odd_files(repo)
    (agents / "tasks" / "broken.md").unlink()
    for n in range(12):  # enough handoffs for their read to fork
        handoff = f"---\ntask: t{n % 2}\nstatus: done\n---\n## Summary\n\nHandoff {n}.\n"
        (agents / "handoffs" / f"2026-06-{n + 1:02d}-t{n % 2}.md").write_text(handoff)
    age_all(agents, 60)
    behind, writers = [], tmp_path / "writers"
    monkeypatch.setattr(forked, "in_background", lambda task: behind.append(task))
    real_write = index_cache.write

    def write(*args):
        with writers.open("a") as handle:  # (a forked process's list is its own)
            handle.write(f"{os.getpid()}\n")
        return real_write(*args)

    monkeypatch.setattr(index_cache, "write", write)
    first = cli(repo, "next")
    assert first.exit_code == 0, first.output
    assert forking == [(4, 0)]  # the other files, all read by that one process
    assert behind == []  # no writer forked after the read
    (writer,) = map(int, writers.read_text().split())
    assert writer != PARENT and forked._BACKGROUND == []  # waited for as the command ended
    assert children_of_this_process() == []
    cached = index_cache.read(agents / ".cache" / index_cache.FILE, {}, {})[0]
    shutil.rmtree(agents / ".cache")
    monkeypatch.setenv(forked.JOBS_ENV, "1")
    one = cli(repo, "next")  # in one process, the cache written here
    assert (one.exit_code, one.stdout, one.stderr) == (0, first.stdout, first.stderr)
    assert writers.read_text().split()[1:] == [str(PARENT)]
    assert index_cache.read(agents / ".cache" / index_cache.FILE, {}, {})[0] == cached
    assert set(cached) == {e.rel for e in Workspace(repo).scanned if e.key}


def test_staged_has_one_process_work_the_later_items_and_what_follows(tmp_path):
    """The first items dealt out among three processes; `between` here once they are all
    in; the later ones worked by one forked process, which is then handed every first result
    it did not work (this process's, the third's) and does `then` with them all."""
    done, seen = tmp_path / "then", []

    def then(first, later) -> None:
        done.write_text(repr((first, later)))

    none, later, left = forked.staged(
        range(30), range(30, 50), squares, as_sent, as_received, 3,
        lambda: seen.append("meanwhile"), lambda found: seen.append(list(found)), then,
    )  # fmt: skip
    assert left and none == [] and seen[0] == "meanwhile"  # the first are `between`'s
    first = seen[1]
    assert [value for value, _ in first] == [n * n for n in range(30)]
    assert [value for value, _ in later] == [n * n for n in range(30, 50)]
    (writer,) = {pid for _, pid in later}
    assert writer != PARENT and len({pid for _, pid in first} - {writer}) >= 1
    forked.wait_background()  # as a command does at its exit
    assert eval(done.read_text()) == (first, later)  # noqa: S307 - each result, handed over
    assert children_of_this_process() == []
    # nothing later (a plan of tasks alone): the writer still does what follows
    seen.clear()
    none, later, left = forked.staged(
        range(30), (), squares, as_sent, as_received, 2, None, seen.append, then
    )
    assert left and none == later == [] and [v for v, _ in seen[0]] == [n * n for n in range(30)]
    forked.wait_background()
    assert eval(done.read_text()) == (seen[0], [])  # noqa: S307
    # in one process: each here, `between` in between, nothing left to do
    seen.clear()
    assert forked.staged(
        range(3), range(3, 5), squares, as_sent, as_received, 1,
        lambda: seen.append("meanwhile"), lambda found: seen.append(len(found)), then,
    ) == ([], [(n * n, PARENT) for n in range(3, 5)], False)  # fmt: skip
    assert seen == [3]


def test_staged_works_what_did_not_come_back_and_leaves_nothing_to_a_lost_writer(tmp_path):
    done = tmp_path / "then"

    def dying(share) -> list[tuple[int, int]]:
        if os.getpid() != PARENT and 45 in share:
            os._exit(3)  # among the later items: the pieces before it were sent
        return squares(share)

    # no `between`: the first results are returned
    first, later, left = forked.staged(
        range(30), range(30, 50), dying, as_sent, as_received, 2,
        None, None, lambda *found: done.write_text(""),
    )  # fmt: skip
    assert not left and not done.exists()  # the caller's to do
    assert [value for value, _ in first + later] == [n * n for n in range(50)]
    assert later[-1][1] == PARENT and PARENT not in {pid for _, pid in later[:10]}
    assert forked._BACKGROUND == [] and children_of_this_process() == []

    def shapeless(share, found) -> object:  # every piece sent, one of another shape
        return [[1, 2, 3]] * len(found) if 40 in share else as_sent(share, found)

    first, later, left = forked.staged(
        range(30), range(30, 50), squares, shapeless, as_received, 2,
        None, None, lambda *found: done.write_text(""),
    )  # fmt: skip
    assert not left and [value for value, _ in first + later] == [n * n for n in range(50)]
    assert done.exists() and children_of_this_process() == []  # it did `then`: waited for


@pytest.mark.parametrize("where", ["meanwhile", "between"])
def test_staged_interrupted_leaves_no_process_working(tmp_path, where):
    started = tmp_path / "started"

    def slow(share) -> list[tuple[int, int]]:
        if os.getpid() != PARENT and 30 in share:  # the writer, at the later items
            (tmp_path / "pid").write_text(str(os.getpid()))
            (tmp_path / "pid").rename(started)
            time.sleep(60)
        return squares(share)

    def interrupted(*_) -> None:
        deadline = time.monotonic() + 20
        while not started.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        raise KeyboardInterrupt

    steps = {"meanwhile": (interrupted, None), "between": (None, interrupted)}[where]
    begun = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        forked.staged(
            range(30), range(30, 50), slow, as_sent, as_received, 2, *steps, lambda *r: None
        )
    assert time.monotonic() - begun < 30
    with pytest.raises(ProcessLookupError):  # stopped and reaped
        os.kill(int(started.read_text()), 0)
    assert forked._BACKGROUND == []


def test_a_library_read_writes_its_cache_itself(repo, forking, monkeypatch):
    agents = plan_with_odd_files(repo)
    age_all(agents, 60)
    started = []
    monkeypatch.setattr(forked, "in_background", lambda task: started.append(task))
    records_now(repo)  # no command waits for a writer here: none is started
    assert started == [] and (agents / ".cache" / index_cache.FILE).exists()


def test_a_writer_that_fails_costs_the_cache_only(repo, forking, monkeypatch):
    agents = plan_with_odd_files(repo)
    (agents / "tasks" / "broken.md").unlink()
    age_all(agents, 60)
    said = cli(repo, "next")
    expected = (said.exit_code, said.stdout, said.stderr)
    shutil.rmtree(agents / ".cache")
    real = index_cache.write

    def crashing(*args):
        if os.getpid() != PARENT:
            raise RuntimeError("a bug in the writer")
        return real(*args)

    monkeypatch.setattr(index_cache, "write", crashing)
    said = cli(repo, "next")
    assert (said.exit_code, said.stdout, said.stderr) == expected
    assert not (agents / ".cache" / index_cache.FILE).exists()
    assert children_of_this_process() == []
    monkeypatch.setattr(index_cache, "write", real)
    shutil.rmtree(agents / ".cache")  # what the run remembered it printed, too
    said = cli(repo, "next")  # read cold again, and the cache written this time
    assert (said.exit_code, said.stdout, said.stderr) == expected
    assert (agents / ".cache" / index_cache.FILE).exists()


def test_nothing_starts_in_the_background_beside_another_thread_or_one_core(monkeypatch):
    ran = []
    stop = threading.Event()
    watcher = threading.Thread(target=stop.wait)
    watcher.start()
    try:
        assert forked.in_background(lambda: ran.append(1)) is False
    finally:
        stop.set()
        watcher.join()
    monkeypatch.setenv(forked.JOBS_ENV, "1")
    assert forked.in_background(lambda: ran.append(1)) is False
    assert ran == []  # the caller's to run


def test_what_comes_back_is_used_a_whole_piece_at_a_time():
    import marshal

    def sent(*parts: bytes) -> list:
        read_end, write_end = os.pipe()
        for part in parts:
            os.write(write_end, part)
        os.close(write_end)
        found: list = [None] * 3
        child = forked._Child(0, read_end)
        try:
            forked._receive(child, [[1], [2], [3]], found, as_received)
        finally:
            os.close(read_end)
        assert not child.reading  # it ended, or sent junk: nothing more is read from it
        return found

    def piece(number: int, values: object) -> bytes:
        data = marshal.dumps((number, values))
        return len(data).to_bytes(forked.SIZE, "little") + data

    one, two = piece(0, [[1, 7]]), piece(2, [[9, 7]])
    assert sent(one, two) == [[(1, 7)], None, [(9, 7)]]
    assert sent(one[:5], one[5:] + two[:3], two[3:]) == [[(1, 7)], None, [(9, 7)]]  # any writes
    assert sent(one, two[:-1]) == [[(1, 7)], None, None]  # cut short: that piece is not used
    assert sent(one[:3]) == [None] * 3 and sent() == [None] * 3  # not even its size
    junk_size = (1 << 40).to_bytes(forked.SIZE, "little")
    assert sent(one, junk_size, two) == [[(1, 7)], None, None]  # junk, not a size: no more
    assert sent(piece(5, [[1, 1]]), piece(1, "x"), piece(0, [[4, 4]]), piece(0, [[5, 5]])) == [
        [(4, 4)],  # the first answer for a piece is used; a number out of range is not
        None,  # values of another shape
        None,
    ]
    not_marshal = (3).to_bytes(forked.SIZE, "little") + b"\xff\xff\xff"
    assert sent(not_marshal, two) == [None, None, [(9, 7)]]  # a whole piece of junk is skipped


@pytest.fixture
def two_cores(monkeypatch):
    """A machine of two cores, whatever this one has: `in_background` starts its process."""
    monkeypatch.delenv(forked.JOBS_ENV, raising=False)
    monkeypatch.setattr(forked, "_cores", lambda: 2)
    assert threading.active_count() == 1, "a thread left running: nothing here would fork"


def test_a_process_working_alone_cleans_up_on_a_term_and_keeps_an_ignored_hup(tmp_path, two_cores):
    import signal

    def terminated() -> None:
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)
            (tmp_path / "survived").write_text("")
        finally:  # raised, not killed: the task's cleanup runs
            (tmp_path / "cleaned").write_text("")

    assert forked.in_background(terminated)
    forked.wait_background()
    assert (tmp_path / "cleaned").exists() and not (tmp_path / "survived").exists()

    def hung_up() -> None:
        os.kill(os.getpid(), signal.SIGHUP)
        (tmp_path / "went on").write_text("")

    before = signal.signal(signal.SIGHUP, signal.SIG_IGN)  # as under nohup
    try:
        assert forked.in_background(hung_up)
        forked.wait_background()
    finally:
        signal.signal(signal.SIGHUP, before)
    assert (tmp_path / "went on").exists()


def test_a_cache_written_alone_and_terminated_leaves_no_temp_file(tmp_path, two_cores):
    import signal

    from agentmd.files import cachefile

    target = tmp_path / "cache" / "index.bin"

    def chunks():
        yield b"the first batch"
        os.kill(os.getpid(), signal.SIGTERM)  # as a TERM sent to the whole group would
        time.sleep(5)
        yield b"never written"

    assert forked.in_background(lambda: cachefile.write_chunks(target, chunks()))
    forked.wait_background()
    assert list(target.parent.iterdir()) == []  # neither the cache nor its temp file


def test_a_process_working_alone_holds_no_file_of_its_parent(tmp_path, two_cores):
    import fcntl

    lock = os.open(tmp_path / "lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(lock, fcntl.LOCK_EX)
    seen = tmp_path / "seen"

    def look() -> None:
        fds = sorted(int(fd) for fd in os.listdir("/proc/self/fd"))
        seen.write_text(f"{fds[:3]} {os.readlink('/proc/self/fd/1')}")
        time.sleep(2)

    assert forked.in_background(look)
    try:
        deadline = time.monotonic() + 20
        while not seen.exists() and time.monotonic() < deadline:  # it has started its task
            time.sleep(0.01)
        os.close(lock)  # the parent lets go of the lock while the other process still runs
        other = os.open(tmp_path / "lock", os.O_RDWR)
        try:
            fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free at once: nobody holds it
        finally:
            os.close(other)
    finally:
        forked.wait_background()
    assert seen.read_text() == f"[0, 1, 2] {os.devnull}"


INTERRUPTED_WAIT = """
import os, signal, sys, threading, time
import click
from agentmd.cli.errors import invoke
from agentmd.workspace import forked
forked._cores = lambda: 2
@click.command()
def write_behind():
    assert forked.in_background(lambda: time.sleep(30))
    # a ^C while the command waits for what it started (from a thread started after the fork)
    threading.Timer(1, os.kill, (os.getpid(), signal.SIGINT)).start()
started = time.monotonic()
print("code", invoke(write_behind), "at once" if time.monotonic() - started < 20 else "late")
for pid in forked._BACKGROUND:
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
"""


def test_a_sigint_while_the_command_waits_for_its_writer_is_said_as_any(tmp_path):
    script = tmp_path / "wait.py"
    script.write_text(INTERRUPTED_WAIT)
    env = {k: v for k, v in os.environ.items() if k != forked.JOBS_ENV}
    run = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=60, env=env
    )
    assert run.stdout.splitlines() == ["code 130 at once"], run.stderr
    assert "Traceback" not in run.stderr


def test_finished_writers_are_reaped_without_waiting(two_cores):
    assert forked.in_background(lambda: None)
    pid = forked._BACKGROUND[-1]
    deadline = time.monotonic() + 20
    while forked._BACKGROUND and time.monotonic() < deadline:
        forked.reap_background()
        time.sleep(0.01)
    assert forked._BACKGROUND == []
    with pytest.raises(ChildProcessError):  # reaped: no zombie left
        os.waitpid(pid, os.WNOHANG)


def test_a_process_that_sends_more_than_it_said_is_not_waited_for_forever(monkeypatch):

    real = forked._write_all

    def too_much(fd: int, data: bytes) -> None:
        real(fd, data)
        if len(data) > forked.SIZE:
            real(fd, b"x" * (1 << 20))  # past the pipe's room: it blocks until the parent reads

    monkeypatch.setattr(forked, "_write_all", too_much)
    with failing_after(30, "the parent waited for a process that cannot end"):
        results = forked.map_forked(range(30), squares, as_sent, as_received, 2)
    assert [value for value, _ in results] == [n * n for n in range(30)]


def test_an_agents_folder_that_can_be_entered_but_not_listed_is_read_cold(tmp_path):
    """`.agents/` at mode 0311: its folders are listed, each file opened by its path. Only a
    user the mode binds shows it (root is let through): as root, the read is done in a forked
    process that has become nobody (every module it needs already imported, as nobody could
    not read root's Python)."""
    as_root = os.geteuid() == 0
    base = Path(tempfile.mkdtemp(dir="/tmp")) if as_root else tmp_path  # nobody can reach it
    try:
        repo = base / "repo"
        repo.mkdir()
        subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo, check=True)
        agents = plan_with_odd_files(repo)
        (agents / "tasks" / "broken.md").unlink()
        expected = cli(repo, "next")
        assert expected.exit_code == 0, expected.stderr
        shutil.rmtree(agents / ".cache")
        if as_root:
            os.chmod(base, 0o755)
            for path in [base, *base.rglob("*")]:
                os.lchown(path, 65534, 65534)
        agents.chmod(0o311)
        said = in_a_process_of(65534 if as_root else None, lambda: cli(repo, "next"))
        assert (said.exit_code, said.stdout, said.stderr) == (0, expected.stdout, expected.stderr)
        assert (agents / ".cache" / index_cache.FILE).exists()  # and its cache written
    finally:
        if as_root:
            shutil.rmtree(base, ignore_errors=True)


def in_a_process_of(uid: int | None, work):
    """`work()`'s answer, from a forked process run as `uid` (None: as this one)."""
    import pickle

    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: it ends here, whatever happens
        try:
            os.close(read_end)
            if uid is not None:
                os.setgroups([])
                os.setgid(uid)
                os.setuid(uid)
            answer = work()
            with os.fdopen(write_end, "wb") as out:
                pickle.dump((answer.exit_code, answer.stdout, answer.stderr), out)
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as got:
        data = got.read()
    os.waitpid(pid, 0)
    assert data, "the process as nobody gave no answer"
    exit_code, stdout, stderr = pickle.loads(data)  # noqa: S301 - our own child's
    return SimpleNamespace(exit_code=exit_code, stdout=stdout, stderr=stderr)


def test_a_name_whose_type_the_listing_cannot_tell_is_looked_at_alone(repo):
    """Where a file system gives no types (DT_UNKNOWN), DirEntry.is_file() stats the name,
    and may fail: that name alone is odd (`_odd_entry` says why), not its whole folder."""
    agents = plan_with_odd_files(repo)

    class Untold:  # a DirEntry of a file system that gives no types, whose stat is refused
        name = "t1.md"

        def is_file(self, follow_symlinks=True):
            raise PermissionError(13, "Permission denied")

        is_symlink = is_file

    (agents / "tasks" / "in.md").symlink_to("t0.md")
    listed = {item.name: item for item in os.scandir(agents / "tasks")}
    assert folder._not_plain(listed["t0.md"]) is None  # a regular file, from its type
    assert folder._not_plain(listed["in.md"]) is True  # a link, to follow where it is read
    assert folder._not_plain(Untold()) is False  # odd, and no link to follow
