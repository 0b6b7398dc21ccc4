"""Reading thousands of files on more than one core: forked processes, each taking a share and
sending back what it read, `marshal`-encoded, through a pipe.

A cold run (no cache: a fresh clone, a deleted .agents/.cache/) reads and parses every file;
13,000 of them are most of what it costs, and a parse is Python code that holds the GIL, so
threads would take turns. Forked, each process starts with the parent's memory as it is (no
imports again, nothing to pickle going out) and only results come back. A share that does not
come back whole (the process died, sent something else, or the machine forbids a fork) is
worked by the parent itself: the answer never depends on the processes.

After such a read, the cache that keeps what was read is written by one more forked process
while the command goes on (`in_background`); the command waits for it before it ends.

AGENTMD_JOBS caps the processes (1: work in this one). Only on Linux, where it is tested (on
macOS a forked process may crash in a system library: Python's own pools spawn there). A
process with other threads never forks (a thread holding a lock at the fork would leave the
child stuck on it): the loop as it waits for changes, the board."""

from __future__ import annotations

import marshal
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from agentmd.workspace.index_cache import MARSHAL, encodable

Item = TypeVar("Item")
Result = TypeVar("Result")

JOBS_ENV = "AGENTMD_JOBS"
PER_PROCESS = 1500  # fewer files than this to a process and the fork is not worth its cost
MAX_PROCESSES = 8  # past this, the parent's decoding of what comes back is what grows
SIZE = 8  # the bytes that say how many a process sends back
MAX_SENT = 1 << 32  # more than a process could send: the size is junk
MAX_FD = 1 << 20  # past any file descriptor a process holds (closerange's end)
PIECES = 16  # the parent's share, in pieces that any process may take once its own is done
# What a process sends back for an item marshal cannot write (a date YAML made): `decode`
# works that item in the parent, the rest of the share is used as sent.
UNSENT = False


def processes(items: int, per_process: int | None = None) -> int:
    """How many processes to work `items` things in, each at least `per_process` of them
    (PER_PROCESS files to parse): 1 unless they are many and there are cores to spare."""
    per_process = per_process or PER_PROCESS
    if items < 2 * per_process or not sys.platform.startswith("linux"):
        return 1
    threading = sys.modules.get("threading")
    if threading is not None and threading.active_count() > 1:
        return 1
    limit = min(_cores(), MAX_PROCESSES)
    asked = os.environ.get(JOBS_ENV, "").strip()
    if asked:
        try:
            limit = min(limit, max(1, int(asked)))
        except ValueError:
            pass  # a setting that is not a number is no setting: the default
    return max(1, min(limit, items // per_process))


def _cores() -> int:
    """The cores this process may run on: its affinity, within a container's CPU quota."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # a sandbox may refuse the call
        cores = os.cpu_count() or 1
    quota = _cgroup_quota()
    return max(1, min(cores, quota)) if quota else cores


def _cgroup_quota(root: str = "/sys/fs/cgroup") -> int:
    """The CPUs a cgroup's quota allows (rounded up), or 0 for no quota: cgroup v2's cpu.max,
    else v1's cfs files."""
    try:
        with open(f"{root}/cpu.max") as handle:
            quota, _, period = handle.read().partition(" ")
        if quota.strip() == "max":
            return 0
        return max(1, -(-int(quota) // int(period)))
    except (OSError, ValueError, ZeroDivisionError):
        pass
    try:
        with open(f"{root}/cpu/cpu.cfs_quota_us") as handle:
            quota_us = int(handle.read())
        with open(f"{root}/cpu/cpu.cfs_period_us") as handle:
            period_us = int(handle.read())
    except (OSError, ValueError):
        return 0
    return max(1, -(-quota_us // period_us)) if quota_us > 0 and period_us > 0 else 0


def map_forked(
    items: Sequence[Item],
    work: Callable[[Sequence[Item]], list[Result]],
    encode: Callable[[Sequence[Item], list[Result]], Any],
    decode: Callable[[Sequence[Item], Any], list[Result]],
    count: int,
    meanwhile: Callable[[], object] | None = None,
) -> list[Result]:
    """`work(items)` in `count` processes, the parent and `count - 1` forked ones. Each forked
    process works its share, then takes pieces of the parent's; the parent does `meanwhile()`
    first (what the command needs next: its imports) and takes pieces too, so that the work
    ends on every core at once. `work` answers a piece with a result for each item; `encode`
    turns a piece's results into a list that marshal writes (an item it cannot write goes as
    UNSENT); `decode` turns that back, and raises (ValueError, TypeError) on anything else."""
    count = min(count, len(items))
    if count <= 1:
        return list(work(items))
    # Dealt out as cards are: each share holds as many of each kind of item (a plan's task
    # files come before its handoffs, which parse in half the time) and ends as soon.
    shares = [items[first::count] for first in range(count)]
    step = -(-len(shares[0]) // PIECES)
    pieces = [shares[0][at : at + step] for at in range(0, len(shares[0]), step)]
    pool = len(pieces)  # pieces[:pool], the parent's share; then each other process's own
    pieces += shares[1:]
    found: list[list[Result] | None] = [None] * len(pieces)
    queue = _queue(pool)
    pending: list[tuple[int, tuple[int, int] | None]] = []
    try:
        for n in range(1, count):
            with _signals_held():  # a ^C now is taken once the child is known, as pending
                pending.append((n, _start(pieces, pool + n - 1, queue, work, encode)))
        if meanwhile is not None:
            meanwhile()
        for piece in _taken(queue, pool):
            found[piece] = work(pieces[piece])
        while pending:
            _, child = pending[0]
            sent = _received(child, lambda: pending.pop(0))
            for piece, values in _sent_pieces(sent, len(pieces)):
                if found[piece] is None:
                    found[piece] = _decoded(pieces[piece], values, decode)
    finally:  # interrupted (an error, ^C): no process is left working
        for _, child in pending:
            if child is not None:
                _stop(*child)
        if queue is not None:
            os.close(queue)
    results: list[Result] = [None] * len(items)  # type: ignore[list-item]
    for piece, worked in enumerate(found):  # what did not come back whole is worked here
        if worked is None:
            found[piece] = work(pieces[piece])
    results[0::count] = [result for worked in found[:pool] for result in worked]  # type: ignore[union-attr]
    for n in range(1, count):
        results[n::count] = found[pool + n - 1]  # type: ignore[assignment]
    return results


def in_background(task: Callable[[], object]) -> bool:
    """`task()` in a forked process while this one goes on (writing a cache this process has
    no more need of), on a machine of two cores or more and in a process with no other
    thread: False when not started, for the caller to run it. The process holds no file of
    this one's open (a lock this one lets go of is let go), and ^C, TERM and HUP raise in it
    as they would here, for the task's `finally` to clean up; a signal this process ignores,
    it ignores. `wait_background` waits for it; this process does at its exit in any case."""
    wait_background()  # one at a time: a second write waits for the first
    if processes(2, 1) < 2:
        return False

    def alone() -> None:
        _alone()
        _child_signals(_raise)
        task()

    import atexit

    with _signals_held():  # a ^C now is taken once the child is known, as running
        pid = _fork(alone)
        if pid is None:
            return False
        _BACKGROUND.append(pid)
    atexit.unregister(wait_background)  # registered once, however many were started
    atexit.register(wait_background)
    return True


def wait_background() -> None:
    """Wait for what `in_background` started (a command waits before it ends). A ^C while
    it waits is raised here, the process left to finish alone."""
    while _BACKGROUND:
        try:
            os.waitpid(_BACKGROUND[-1], 0)
        except ChildProcessError:  # reaped by the system (SIGCHLD ignored)
            pass
        _BACKGROUND.pop()


def reap_background() -> None:
    """Reap what `in_background` started that has ended, waiting for none (a process that
    goes on for hours, the loop, leaves no zombie behind)."""
    for pid in list(_BACKGROUND):
        try:
            done = os.waitpid(pid, os.WNOHANG)[0] == pid
        except ChildProcessError:
            done = True
        if done:
            _BACKGROUND.remove(pid)


_BACKGROUND: list[int] = []  # the processes `in_background` started, not yet waited for


def _fork(body: Callable[[], object]) -> int | None:
    """A forked process that runs `body()` and exits, 0 when it returned and 1 when it raised:
    its pid, or None when the system refused the fork. Nothing of the parent's exit runs in
    it (no atexit, no flush), nor its cyclic collector (no finalizer of the parent's garbage).
    Called with the signals held (`_signals_held`)."""
    try:
        pid = os.fork()
    except OSError:
        return None
    if pid == 0:
        code = 1
        try:
            import gc

            gc.disable()
            body()
            code = 0
        finally:
            os._exit(code)
    return pid


def _alone() -> None:
    """In a process forked to work alone: no file of the parent's held open (a lock the
    parent releases stays released; a pipe the parent's reader waits on ends with the
    parent), the standard streams on /dev/null."""
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.closerange(3, MAX_FD)


def _raise(number: int, frame: object) -> None:
    """^C, TERM or HUP in a process working alone: raised, as Python raises ^C."""
    import signal

    if number == signal.SIGINT:
        raise KeyboardInterrupt
    raise SystemExit(128 + number)


def _queue(pieces: int) -> int | None:
    """A pipe holding each piece's number, its writing end closed: each process reads the
    next number (two bytes: a read never splits one) until the pipe is empty. None when no
    pipe could be made: the parent takes every piece."""
    try:
        read_end, write_end = os.pipe()
    except OSError:
        return None
    try:
        os.write(write_end, b"".join(n.to_bytes(2, "little") for n in range(pieces)))
    finally:
        os.close(write_end)
    return read_end


def _taken(queue: int | None, pieces: int) -> Iterator[int]:
    """The numbers of the pieces this process takes from the queue (all of them: no queue)."""
    if queue is None:
        yield from range(pieces)
        return
    while len(number := os.read(queue, 2)) == 2:
        yield int.from_bytes(number, "little")


def _start(
    pieces: Sequence[Sequence[Item]],
    own: int,
    queue: int | None,
    work: Callable[[Sequence[Item]], list[Result]],
    encode: Callable[[Sequence[Item], list[Result]], Any],
) -> tuple[int, int] | None:
    """A forked process working `pieces[own]`, then what it takes from the queue, and the
    pipe its results come back on; None when no process could be started (its share is worked
    by the parent). Called with the signals held (`_signals_held`): the child lets them go
    once its own handlers are the defaults."""
    try:
        read_end, write_end = os.pipe()
    except OSError:
        return None

    def send() -> None:
        _child_signals()
        os.close(read_end)
        sent = [(own, encode(pieces[own], work(pieces[own])))]
        for piece in _taken(queue, 0):  # taken one at a time, once the last is worked
            sent.append((piece, encode(pieces[piece], work(pieces[piece]))))
        data = _dumped(sent)
        _write_all(write_end, len(data).to_bytes(SIZE, "little"))  # for the parent to read
        _write_all(write_end, data)  # it into a buffer of its size: one copy

    pid = _fork(send)
    os.close(write_end)
    if pid is None:
        os.close(read_end)
        return None
    return pid, read_end


def _dumped(sent: list[tuple[int, Any]]) -> bytes:
    try:
        return marshal.dumps(sent, MARSHAL)
    except ValueError:  # an item marshal cannot write: it alone goes as UNSENT
        return marshal.dumps(
            [
                (piece, [item if encodable(item) else UNSENT for item in values])
                if type(values) is list
                else (piece, values)
                for piece, values in sent
            ],
            MARSHAL,
        )


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _received(child: tuple[int, int] | None, forget: Callable[[], object]) -> bytearray | None:
    """What the process sent back once it ended well; None when it did not, or never started.
    Its pipe is closed, and it is reaped and `forget` called, as one step: an interrupt
    before leaves it to be stopped, after, nothing of it to stop."""
    if child is None:
        forget()
        return None
    pid, read_end = child
    sent = _read_sized(read_end)
    with _signals_held():
        os.close(read_end)  # first: a process that sends more than it said then ends too
        ended = _reaped(pid)
        forget()
    return sent if ended else None


def _read_sized(fd: int) -> bytearray | None:
    """The bytes a process sent after their size, read into one buffer of that size (a cold
    read's share is megabytes: read in pieces and joined, it was there twice at the peak);
    None when fewer came."""
    said = _read_into(fd, bytearray(SIZE))
    size = -1 if said is None else int.from_bytes(said, "little")
    if not 0 <= size <= MAX_SENT:  # cut short, or junk rather than a size
        return None
    return _read_into(fd, bytearray(size))


def _read_into(fd: int, buffer: bytearray) -> bytearray | None:
    view, got = memoryview(buffer), 0
    while got < len(buffer):
        count = os.readv(fd, [view[got:]])
        if not count:
            return None
        got += count
    return buffer


def _sent_pieces(sent: bytearray | None, pieces: int) -> Iterator[tuple[int, Any]]:
    """(piece, values) for each piece a process sent back whole; nothing for anything else."""
    if sent is None:
        return
    try:
        found = marshal.loads(sent)
    except (EOFError, ValueError, TypeError):
        return
    if type(found) is not list:
        return
    for pair in found:
        if type(pair) is tuple and len(pair) == 2 and type(pair[0]) is int:
            if 0 <= pair[0] < pieces:
                yield pair


def _decoded(
    piece: Sequence[Item], values: Any, decode: Callable[[Sequence[Item], Any], list[Result]]
) -> list[Result] | None:
    """The piece's results as sent back; None for anything but a whole answer."""
    try:
        found = decode(piece, values)
    except (ValueError, TypeError):
        return None
    return found if len(found) == len(piece) else None


def _reaped(pid: int) -> bool:
    """Whether the process ended well: exit 0, or ended where the system reaps children
    itself (SIGCHLD ignored, as a supervisor may leave it): then what it sent decides."""
    try:
        status = os.waitpid(pid, 0)[1]
    except ChildProcessError:
        return True
    return os.waitstatus_to_exitcode(status) == 0


@contextmanager
def _signals_held() -> Iterator[None]:
    """^C, TERM and HUP held back for the block, and taken at its end: no interrupt lands
    between a fork and the parent's knowing of the child, or between a child's reaping and
    the parent's forgetting it. (Never across a wait that can be long: the one for a process
    working alone, `wait_background`, can be interrupted.)"""
    import signal  # here: its enums cost a run that never forks a millisecond

    before = signal.pthread_sigmask(signal.SIG_BLOCK, _held(signal))
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def _child_signals(handler: Any = None) -> None:
    """^C or a TERM ends a forked process as it ends any (`handler`: what they do instead): a
    handler the parent set (a loop's shutdown) is the parent's to run, and a signal the parent
    ignores (nohup, a script's `&`) stays ignored. The signals held at the fork are let go
    after."""
    import signal

    for number in _held(signal):
        if signal.getsignal(number) != signal.SIG_IGN:
            signal.signal(number, handler or signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _held(signal))


def _held(signal: Any) -> set[int]:
    """The signals held across a fork and a reaping (`signal`: the module, imported late)."""
    return {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}


def _stop(pid: int, read_end: int) -> None:
    """A child still working: killed, reaped, its pipe closed."""
    import signal

    with _signals_held():
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except OSError:
            pass
        os.close(read_end)
