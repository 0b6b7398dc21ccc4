"""Reading thousands of files on more than one core: forked processes, each taking a share and
sending back what it read, `marshal`-encoded, through a pipe.

A cold run (no cache: a fresh clone, a deleted .agents/.cache/) reads and parses every file;
13,000 of them are most of what it costs, and a parse is Python code that holds the GIL, so
threads would take turns. Forked, each process starts with the parent's memory as it is (no
imports again, nothing to pickle going out) and only results come back. A share that does not
come back whole (the process died, sent something else, or the machine forbids a fork) is
worked by the parent itself: the answer never depends on the processes.

A cold read is staged (`staged`): the tasks shared out, then every other file read by one
forked process, the writer, while the command ranks the tasks; the writer, handed the records
it did not read, writes the cache that keeps them all while the command goes on. A cache
rewritten after many changes is written by one more forked process (`in_background`). The
command waits for either before it ends.

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
from functools import partial
from itertools import chain
from typing import Any, NamedTuple, TypeVar

from agentmd.workspace.index_cache import MARSHAL, encodable

Item = TypeVar("Item")
Result = TypeVar("Result")

JOBS_ENV = "AGENTMD_JOBS"
PER_PROCESS = 1500  # fewer files than this to a process and the fork is not worth its cost
MAX_PROCESSES = 8  # past this, the parent's decoding of what comes back is what grows
SIZE = 8  # the bytes that say how many a process sends back
MAX_SENT = 1 << 32  # more than a process could send: the size is junk
MAX_FD = 1 << 20  # past any file descriptor a process holds (closerange's end)
PIECES = 16  # each share, in pieces: the parent's any process may take once its own is done
PIPE_ROOM = 1 << 20  # a pipe's room, asked for (Linux's limit for a user): pieces of a share
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
    UNSENT); `decode` turns that back, and raises (ValueError, TypeError) on anything else.

    Each share is worked and sent back a piece at a time, and the parent decodes what has
    come between its own pieces: at the end it waits for one piece, not for a whole share to
    be encoded, sent and decoded (nor holds a share's bytes at once)."""
    return staged(items, (), work, encode, decode, count, meanwhile)[0]


def staged(
    first: Sequence[Item],
    later: Sequence[Item],
    work: Callable[[Sequence[Item]], list[Result]],
    encode: Callable[[Sequence[Item], list[Result]], Any],
    decode: Callable[[Sequence[Item], Any], list[Result]],
    count: int,
    meanwhile: Callable[[], object] | None = None,
    between: Callable[[list[Result]], object] | None = None,
    then: Callable[[list[Result], list[Result]], object] | None = None,
) -> tuple[list[Result], list[Result], bool]:
    """`map_forked` of `first`, then `between(their results)` here, then the `later` items
    (the tasks, the command ranks them, the other files): the first dealt out among `count`
    processes, the later ones all worked by one forked process, the writer, while this one
    does `between` on memory of its own (forked before any result was, the writer shares no
    page of them: a fork after, and each page either process touched would be copied). With
    `then`, the writer, once it has sent everything back, is handed the first results it did
    not work (this process's, and the other processes', as they were sent: a memfd) and does
    `then(first results, later results)` working alone, as `in_background` does (writes the
    cache of every record: no process forks after to write it); this one does not wait for
    it but at its exit. One process (`count` 1): each worked here, `between` in between.

    The results of each (with a `between`, the first are its own, for it to let go of once
    it has used them: none are returned), and whether `then` was left to the writer: False
    when there was none, it died or sent junk (what did not come back is worked here), or the
    hand-over could not be made: then `then` is the caller's."""
    count = min(count, len(first) + bool(later))
    if count <= 1:
        done = list(work(first)) if first else []
        if between is not None:
            between(done)
            done = []
        return done, list(work(later)) if later else [], False
    if then is not None:
        wait_background()  # one writer at a time: the writer may write
    # Dealt out as cards are: each share holds as many of each kind of item (a plan's task
    # files come before its handoffs, which parse in half the time) and ends as soon.
    shares = [first[at::count] for at in range(count)]
    pieces: list[Sequence[Item]] = []
    owned: list[range] = []  # each share's pieces; the parent's (the first) are the queue's
    step = max(1, -(-len(shares[0]) // PIECES))
    for share in shares:
        at = len(pieces)
        pieces += [share[n : n + step] for n in range(0, len(share), step)]
        owned.append(range(at, len(pieces)))
    firsts = len(pieces)
    step = max(1, -(-len(later) // PIECES))
    pieces += [later[n : n + step] for n in range(0, len(later), step)]
    lasts = range(firsts, len(pieces))  # the writer's, once the first are done
    found: list[list[Result] | None] = [None] * len(pieces)
    in_order = partial(_ordered, owned=owned, count=count, size=len(first))
    queue = _queue(len(owned[0]))
    handover: _Handover | None = None
    pending: list[_Child] = []
    writer: _Child | None = None
    left = False
    try:
        for n in (*range(2, count), 1):  # the writer last: no other holds its hand-over
            with _signals_held():  # a ^C now is taken once the child is known, as pending
                if n == 1 and then is not None:
                    handover = _Handover.made()
                task = _Task(owned[n])
                if n == 1:
                    task = _Task(owned[n], lasts, handover, then, in_order)
                child = _start(pieces, queue, work, encode, decode, task)
                if child is not None:
                    pending.append(child)
                    writer = child if n == 1 else writer
        if handover is not None:
            handover.forked(writer is not None)
        if meanwhile is not None:
            meanwhile()
        send = handover.add if handover is not None and writer is not None else None

        def work_here(piece: int) -> None:
            found[piece] = work(pieces[piece])
            if send is not None:  # handed to the writer, which did not work it
                send(_dumped(piece, encode(pieces[piece], found[piece])))  # type: ignore[arg-type]

        for piece in _taken(queue, len(owned[0])):
            work_here(piece)
            for child in pending:  # what has come meanwhile (a pipe's room is not a share)
                _receive(child, pieces, found, decode, send if child is not writer else None)

        def first_done() -> bool:
            return None not in found[:firsts]

        for child in list(pending):  # every first piece: the writer goes on to the later ones
            os.set_blocking(child.read_end, True)
            if child is writer:  # until the first are in: the writer goes on
                _receive(child, pieces, found, decode, None, first_done)
            else:
                _receive(child, pieces, found, decode, send)
                _end(child, partial(pending.remove, child))
        for piece in range(firsts):  # what did not come back whole is worked here
            if found[piece] is None:
                work_here(piece)
        if handover is not None:
            handover.done()  # the writer may read what it was handed
        done_first = in_order(found)
        found[:firsts] = [[]] * firsts  # held by `done_first` alone: `between` may let it go
        if between is not None:
            between(done_first)
            done_first = []
        if writer is not None and writer in pending:
            _receive(writer, pieces, found, decode)  # until it ends, or sends junk
            # (a hand-over is made for a `then` alone, and is whole only with a writer)
            left = handover is not None and handover.whole and writer.ended and None not in found
            with _signals_held():
                if left:
                    os.close(writer.read_end)
                    _leave_behind(writer.pid)
                    pending.remove(writer)
            if not left:  # (one that sent a piece not decoded here is waited for: it may write)
                _end(writer, partial(pending.remove, writer))
    finally:  # interrupted (an error, ^C): no process is left working
        for child in pending:
            _stop(child.pid, child.read_end)
        if queue is not None:
            os.close(queue)
        if handover is not None:
            handover.close()
    for piece in lasts:  # what did not come back whole is worked here
        if found[piece] is None:
            found[piece] = work(pieces[piece])
    return done_first, [result for piece in lasts for result in found[piece]], left  # type: ignore[union-attr]


def _ordered(
    found: Sequence[Sequence[Result] | None], owned: list[range], count: int, size: int
) -> list[Result]:
    """The first items' results in their order, from the pieces each share was cut in."""
    results: list[Result] = [None] * size  # type: ignore[list-item]
    for n, mine in enumerate(owned):
        results[n::count] = [result for piece in mine for result in found[piece]]  # type: ignore[union-attr]
    return results


class _Task(NamedTuple):
    """What a forked process works: its share's pieces, then the queue's, then `later`; and,
    for the writer, the hand-over it reads and `then`, which it does with every result."""

    own: range
    later: range = range(0)
    handover: _Handover | None = None
    then: Callable[[list[Any], list[Any]], object] | None = None
    ordered: Callable[[list[Any]], list[Any]] = list  # the first results, from every piece's


class _Handover:
    """The first results the writer did not work, handed to it: each piece as sent (its size,
    then what marshal wrote), in a memfd this process writes and the writer reads once told
    (a byte on a pipe: 1, every piece is there; nothing, this process failed or was stopped).
    A memfd never fills as a pipe does: this process never waits on the writer."""

    def __init__(self, memfd: int, told: int, tell: int):
        self.memfd, self.told, self.tell = memfd, told, tell
        self.whole = True  # every piece written so far

    @classmethod
    def made(cls) -> _Handover | None:
        try:
            memfd = os.memfd_create("agentmd-handover", os.MFD_CLOEXEC)
        except (AttributeError, OSError):  # not Linux, or not allowed: no hand-over
            return None
        try:
            told, tell = os.pipe()
        except OSError:
            os.close(memfd)
            return None
        return cls(memfd, told, tell)

    def forked(self, writer: bool) -> None:
        """In this process once the writer is forked: its reading end is the writer's."""
        os.close(self.told)
        self.told = -1
        self.whole = self.whole and writer

    def add(self, data: bytes) -> None:
        if self.whole:
            try:
                _write_all(self.memfd, len(data).to_bytes(SIZE, "little") + data)
            except OSError:  # (a memory limit): the writer is told no
                self.whole = False

    def done(self) -> None:
        if self.tell >= 0:
            try:
                if self.whole:
                    os.write(self.tell, b"1")
            except OSError:
                self.whole = False
            os.close(self.tell)
            self.tell = -1

    def close(self) -> None:
        self.done()
        for fd in (self.memfd, self.told):
            if fd >= 0:
                os.close(fd)
        self.memfd = self.told = -1

    def taken(self) -> Iterator[tuple[int, Any]]:
        """In the writer: each piece handed over, (its number, its values) as sent, once this
        process says all are there; ValueError when it says nothing (it failed)."""
        os.close(self.tell)
        if os.read(self.told, 1) != b"1":
            raise ValueError("nothing handed over")
        at, size = 0, os.fstat(self.memfd).st_size
        while at < size:
            length = int.from_bytes(os.pread(self.memfd, SIZE, at), "little")
            sent = _loaded(bytearray(os.pread(self.memfd, length, at + SIZE)))
            if sent is None:
                raise ValueError("a piece cut short")
            yield sent
            at += SIZE + length


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

    with _signals_held():  # a ^C now is taken once the child is known, as running
        pid = _fork(alone)
        if pid is None:
            return False
        _leave_behind(pid)
    return True


def _leave_behind(pid: int) -> None:
    """A process working alone, waited for at this one's exit (or by `wait_background`)."""
    import atexit

    _BACKGROUND.append(pid)
    atexit.unregister(wait_background)  # registered once, however many were started
    atexit.register(wait_background)


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


class _Child:
    """A forked process working a share: its pid, the pipe its pieces come back on (read
    without waiting while the parent works), and the piece being read: its size first, then
    its bytes, each into a buffer of its size."""

    def __init__(self, pid: int, read_end: int):
        self.pid = pid
        self.read_end = read_end
        self.buffer = bytearray(SIZE)  # what is being read: a size, or a piece of that size
        self.got = 0  # how much of it has come
        self.sized = False  # the buffer is a piece's (its size was read)
        self.reading = True  # False once it ended, or sent what is not a piece
        self.ended = False  # its pipe ended: it closed it, or exited


def _start(
    pieces: Sequence[Sequence[Item]],
    queue: int | None,
    work: Callable[[Sequence[Item]], list[Result]],
    encode: Callable[[Sequence[Item], list[Result]], Any],
    decode: Callable[[Sequence[Item], Any], list[Result]],
    task: _Task,
) -> _Child | None:
    """A forked process working `pieces[task.own]`, then what it takes from the queue, then
    `task.later`, sending each piece back as it is done; the writer then takes what it is
    handed over and does `task.then` working alone (`staged`). None when no process could be
    started (its pieces are worked by the parent). Called with the signals held
    (`_signals_held`): the child lets them go once its own handlers are the defaults."""
    try:
        read_end, write_end = os.pipe()
    except OSError:
        return None
    _widen(write_end)

    def send() -> None:
        _child_signals()
        os.close(read_end)
        worked: list[list[Result] | None] = [None] * len(pieces)
        for piece in chain(task.own, _taken(queue, 0), task.later):  # the queue's one at a time
            results = work(pieces[piece])
            data = _dumped(piece, encode(pieces[piece], results))
            _write_all(write_end, len(data).to_bytes(SIZE, "little") + data)
            worked[piece] = results
        if task.then is None or task.handover is None:
            return
        os.close(write_end)  # the parent has every piece, and goes on
        for piece, values in task.handover.taken():
            if 0 <= piece < len(pieces) and worked[piece] is None:
                worked[piece] = _decoded(pieces[piece], values, decode)
        if None in worked:
            raise ValueError("a piece not handed over")
        _alone()
        _child_signals(_raise)
        task.then(task.ordered(worked), [r for p in task.later for r in worked[p]])  # type: ignore[union-attr]

    pid = _fork(send)
    os.close(write_end)
    if pid is None:
        os.close(read_end)
        return None
    os.set_blocking(read_end, False)
    return _Child(pid, read_end)


def _widen(pipe: int) -> None:
    """A pipe's room raised to PIPE_ROOM, where the system allows: with the default 64 KB, a
    process would wait for the parent to read after each piece."""
    try:
        import fcntl

        fcntl.fcntl(pipe, fcntl.F_SETPIPE_SZ, PIPE_ROOM)
    except (ImportError, AttributeError, OSError):
        pass  # the default room: slower, the same answers


def _dumped(piece: int, values: Any) -> bytes:
    try:
        return marshal.dumps((piece, values), MARSHAL)
    except ValueError:  # an item marshal cannot write: it alone goes as UNSENT
        if type(values) is list:
            values = [item if encodable(item) else UNSENT for item in values]
        return marshal.dumps((piece, values), MARSHAL)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _receive(
    child: _Child,
    pieces: Sequence[Sequence[Item]],
    found: list[list[Result] | None],
    decode: Callable[[Sequence[Item], Any], list[Result]],
    forward: Callable[[bytes], object] | None = None,
    enough: Callable[[], bool] | None = None,
) -> None:
    """Each whole piece the process has sent, decoded into `found`: what is there now, or
    (its pipe blocking) all it sends until it ends, or until `enough()`. Its size first, then
    the piece's number and values, read into a buffer of that size; a size past MAX_SENT is
    junk, and nothing more is read from it: what did not come back whole is the parent's to
    work. `forward`: given each piece used, as sent (the writer's hand-over)."""
    if enough is not None and enough():
        return
    while child.reading:
        try:
            with memoryview(child.buffer) as view:
                count = os.readv(child.read_end, [view[child.got :]])
        except BlockingIOError:
            return
        if not count:
            child.reading, child.ended = False, True
            return
        child.got += count
        if child.got < len(child.buffer):
            continue
        if not child.sized:
            size = int.from_bytes(child.buffer, "little")
            if size > MAX_SENT:
                child.reading = False
                return
            child.buffer, child.got, child.sized = bytearray(size), 0, True
            if size:
                continue
        sent, data = _loaded(child.buffer), child.buffer
        child.buffer, child.got, child.sized = bytearray(SIZE), 0, False
        if sent is not None and 0 <= sent[0] < len(pieces) and found[sent[0]] is None:
            found[sent[0]] = _decoded(pieces[sent[0]], sent[1], decode)
            if forward is not None and found[sent[0]] is not None:
                forward(bytes(data))
            if enough is not None and enough():
                return


def _loaded(data: bytearray) -> tuple[int, Any] | None:
    """A piece as sent: (its number, its values); None for anything else."""
    try:
        sent = marshal.loads(data)
    except (EOFError, ValueError, TypeError):
        return None
    if type(sent) is tuple and len(sent) == 2 and type(sent[0]) is int:
        return sent
    return None


def _end(child: _Child, forget: Callable[[], object]) -> None:
    """A process whose pieces are in: its pipe closed, then it is reaped and `forget` called,
    as one step (an interrupt before leaves it to be stopped, after, nothing of it to stop).
    One that sent junk is killed first: it may be writing still, and closing its pipe here
    would not stop it (a process forked after it holds that pipe's reading end too)."""
    with _signals_held():
        if child.ended:
            os.close(child.read_end)
            _reap(child.pid)
        else:
            _stop(child.pid, child.read_end)
        forget()


def _decoded(
    piece: Sequence[Item], values: Any, decode: Callable[[Sequence[Item], Any], list[Result]]
) -> list[Result] | None:
    """The piece's results as sent back; None for anything but a whole answer."""
    try:
        found = decode(piece, values)
    except (ValueError, TypeError):
        return None
    return found if len(found) == len(piece) else None


def _reap(pid: int) -> None:
    """Wait for the process to end (where the system reaps children itself, SIGCHLD ignored
    as a supervisor may leave it, there is nothing to wait for)."""
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass


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
