"""Parsing thousands of files on more than one core: forked processes, each taking a share and
sending back what it read, `marshal`-encoded, through a pipe.

A cold run (no cache: a fresh clone, a deleted .agents/.cache/) reads and parses every file;
13,000 of them are most of what it costs, and a parse is Python code that holds the GIL, so
threads would take turns. Forked, each process starts with the parent's memory as it is (no
imports again, nothing to pickle going out) and only results come back. A share that does not
come back whole (the process died, sent something else, or the machine forbids a fork) is
parsed by the parent itself: the answer never depends on the processes.

AGENTMD_JOBS caps the processes (1: parse in this one). A process with other threads never
forks (a thread holding a lock at the fork would leave the child stuck on it): the loop and the
board, which watch files from threads, parse in one."""

from __future__ import annotations

import marshal
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

JOBS_ENV = "AGENTMD_JOBS"
PER_PROCESS = 1500  # fewer files than this to a process and the fork is not worth its cost
MAX_PROCESSES = 8  # past this, the parent's decoding of what comes back is what grows
MARSHAL = 4


def processes(items: int, per_process: int | None = None) -> int:
    """How many processes to work `items` things in, each at least `per_process` of them
    (PER_PROCESS files to parse): 1 unless they are many and there are cores to spare."""
    per_process = per_process or PER_PROCESS
    if items < 2 * per_process or not hasattr(os, "fork"):
        return 1
    threading = sys.modules.get("threading")
    if threading is not None and threading.active_count() > 1:
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    limit = min(cores or 1, MAX_PROCESSES)
    asked = os.environ.get(JOBS_ENV, "").strip()
    if asked:
        try:
            limit = min(limit, max(1, int(asked)))
        except ValueError:
            pass  # a setting that is not a number is no setting: the default
    return max(1, min(limit, items // per_process))


def map_forked(
    items: Sequence[Item],
    work: Callable[[Sequence[Item]], list[Result]],
    encode: Callable[[Sequence[Item], list[Result]], Any],
    decode: Callable[[Sequence[Item], Any], list[Result]],
    count: int,
) -> list[Result]:
    """`work(items)`, its shares after the first worked in `count - 1` forked processes.
    `work` answers a share with a result for each item; `encode` turns a share's results into
    what marshal writes; `decode` turns that back, and raises (ValueError, TypeError) on
    anything else."""
    count = min(count, len(items))
    if count <= 1:
        return list(work(items))
    # Dealt out as cards are: each share holds as many of each kind of item (a plan's task
    # files come before its handoffs, which parse in half the time) and ends as soon.
    shares = [items[first::count] for first in range(count)]
    pending: list[tuple[int, tuple[int, int] | None]] = []
    results: list[Result] = [None] * len(items)  # type: ignore[list-item]
    try:
        pending.extend((n, _start(shares[n], work, encode)) for n in range(1, count))
        results[0::count] = work(shares[0])  # the parent's share, as the others work theirs
        while pending:
            n, child = pending.pop(0)
            results[n::count] = _collect(shares[n], child, work, decode)
    finally:  # interrupted (an error, ^C): no process is left working
        for _, child in pending:
            if child is not None:
                os.close(child[1])
                _stop(child[0])
    return results


def _start(
    share: Sequence[Item],
    work: Callable[[Sequence[Item]], list[Result]],
    encode: Callable[[Sequence[Item], list[Result]], Any],
) -> tuple[int, int] | None:
    """A forked process working `share`, and the pipe its results come back on; None when no
    process could be started (its share is worked by the parent)."""
    try:
        read_end, write_end = os.pipe()
    except OSError:
        return None
    try:
        pid = os.fork()
    except OSError:
        os.close(read_end)
        os.close(write_end)
        return None
    if pid == 0:  # the child: nothing of the parent's exit runs here (no atexit, no flush)
        code = 1
        try:
            os.close(read_end)
            _default_signals()
            data = marshal.dumps(encode(share, work(share)), MARSHAL)
            view = memoryview(data)
            while view:
                view = view[os.write(write_end, view) :]
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    return pid, read_end


def _collect(
    share: Sequence[Item],
    child: tuple[int, int] | None,
    work: Callable[[Sequence[Item]], list[Result]],
    decode: Callable[[Sequence[Item], Any], list[Result]],
) -> list[Result]:
    """What the process working `share` sent back, decoded; its share worked here when it
    sent back anything but a whole answer."""
    if child is None:
        return work(share)
    pid, read_end = child
    chunks = []
    status = None
    try:
        with os.fdopen(read_end, "rb") as pipe:
            while chunk := pipe.read(1 << 20):
                chunks.append(chunk)
        status = os.waitpid(pid, 0)[1]
    finally:
        if status is None:  # interrupted as it read: the process is not left working
            _stop(pid)
    if os.waitstatus_to_exitcode(status) == 0:
        try:
            found = decode(share, marshal.loads(b"".join(chunks)))
            if len(found) == len(share):
                return found
        except (EOFError, ValueError, TypeError):
            pass
    return work(share)


def _default_signals() -> None:
    """^C or a TERM ends a forked process as it ends any: a handler the parent set (a loop's
    shutdown) is the parent's to run."""
    import signal  # here: its enums cost the parent 2 ms

    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        number = getattr(signal, name, None)
        if number is not None:
            signal.signal(number, signal.SIG_DFL)


def _stop(pid: int) -> None:
    import signal

    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except OSError:
        pass
