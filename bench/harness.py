"""Measuring for bench/run.py: a command's wall time and peak memory, run turn about with the
floor, in the environment an installation sees."""

from __future__ import annotations

import functools
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

# The least any Python CLI built on click and YAML pays: start Python, import both.
FLOOR = (sys.executable, "-c", "import click, yaml")
# agentmd trusts a cached entry only for a file older than its racy window (2 s); a stamp this
# far back changes a file's stat key without making the runs after it distrust their caches.
STALE_NS = 3_000_000_000
RACY_WAIT_S = 2.5


class Sample(NamedTuple):
    seconds: float
    peak_mb: float  # the process's peak RSS, and its children's
    cpu_seconds: float = 0.0  # user + system time, its children's too: what a busy machine hides


@dataclass(frozen=True)
class Measurement:
    seconds: float  # median
    peak_mb: float  # the largest of the runs
    floor_seconds: float  # median of the floor's runs, each right after one of the command's
    floor_mb: float
    cpu_seconds: float = 0.0  # median of the command's user + system time
    beside_seconds: float | None = None  # median of `beside`'s runs, each right after one

    @property
    def ratio(self) -> float:
        return self.seconds / self.floor_seconds


def child_env() -> dict[str, str]:
    """The environment of every command run: as installed, Python keeps compiled bytecode (a
    shell that sets PYTHONDONTWRITEBYTECODE would make each run compile agentmd from source);
    no inherited GIT_* variable points git elsewhere, nor AGENTMD_JOBS caps the processes a
    cold read forks (a row sets it where it means to); commits have a fixed author."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("GIT_") and k not in ("PYTHONDONTWRITEBYTECODE", "AGENTMD_JOBS")
    }
    env.update(
        GIT_AUTHOR_NAME="bench",
        GIT_AUTHOR_EMAIL="bench@example.com",
        GIT_COMMITTER_NAME="bench",
        GIT_COMMITTER_EMAIL="bench@example.com",
    )
    return env


# Every timed command is started by this small process, not by the benchmark itself: on Linux a
# process's peak RSS counts the memory of the process that forked it, until exec. Started from
# a benchmark that holds a 7 MB `list --json` it has read, a command of 20 MB would show 40.
SPAWNER = r"""
import json, os, sys, time
for line in sys.stdin:
    argv, cwd, env, errors = json.loads(line)
    out = os.open(os.devnull, os.O_WRONLY)
    err = os.open(errors, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.chdir(cwd)
    started = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, env, file_actions=[
        (os.POSIX_SPAWN_DUP2, out, 1), (os.POSIX_SPAWN_DUP2, err, 2),
    ])
    _, status, usage = os.wait4(pid, 0)
    elapsed = time.perf_counter() - started
    os.close(out), os.close(err)
    code, cpu = os.waitstatus_to_exitcode(status), usage.ru_utime + usage.ru_stime
    print(json.dumps([elapsed, code, usage.ru_maxrss, cpu]), flush=True)
"""


@functools.cache
def spawner() -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-I", "-S", "-c", SPAWNER],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def run(argv: Iterable[str], cwd: Path, env: dict[str, str], expect: int = 0) -> Sample:
    """One run, timed; exits the benchmark if the command exits other than `expect`."""
    argv = list(argv)
    program = shutil.which(argv[0], path=env.get("PATH")) or argv[0]
    proc = spawner()
    with tempfile.NamedTemporaryFile() as errors:  # a pipe could fill and stall the command
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(json.dumps([[program, *argv[1:]], str(cwd), env, errors.name]) + "\n")
        proc.stdin.flush()
        elapsed, code, peak_kib, cpu = json.loads(proc.stdout.readline())
        if code != expect:
            said = Path(errors.name).read_bytes().decode("utf-8", "replace")[-4000:]
            raise SystemExit(f"{shlex.join(argv)} (in {cwd}) exited {code}, not {expect}:\n{said}")
    return Sample(elapsed, peak_kib * 1024 / 1e6, cpu)  # ru_maxrss is in KiB on Linux


def measure(
    argv: Iterable[str],
    cwd: Path,
    env: dict[str, str],
    runs: int,
    before: Callable[[], None] | None = None,
    expect: int = 0,
    beside: Iterable[str] | None = None,
) -> Measurement:
    """`runs` runs of the command, each followed by one of the floor, so that a busy machine
    slows both alike. One untimed run of each first: caches warm, bytecode written. `before`
    prepares each timed run, untimed. `beside`: a reference command run turn about too (the
    hand-written reader beside a cold `next`), its median in `beside_seconds`."""
    argv = list(argv)
    others = [FLOOR] + ([list(beside)] if beside is not None else [])
    run(argv, cwd, env, expect)
    for other in others:
        run(other, cwd, env)
    mine: list[Sample] = []
    theirs: list[list[Sample]] = [[] for _ in others]
    for _ in range(runs):
        if before is not None:
            before()
        mine.append(run(argv, cwd, env, expect))
        for other, samples in zip(others, theirs, strict=True):
            samples.append(run(other, cwd, env))
    floor = theirs[0]
    return Measurement(
        statistics.median(s.seconds for s in mine),
        max(s.peak_mb for s in mine),
        statistics.median(s.seconds for s in floor),
        max(s.peak_mb for s in floor),
        statistics.median(s.cpu_seconds for s in mine),
        statistics.median(s.seconds for s in theirs[1]) if beside is not None else None,
    )


def call(argv: Iterable[str], cwd: Path, env: dict[str, str]) -> str:
    """Run an untimed step (git, setup) and return its output; exits the benchmark on failure."""
    argv = list(argv)
    result = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        said = (result.stdout + result.stderr)[-4000:]
        raise SystemExit(f"{shlex.join(argv)} (in {cwd}) exited {result.returncode}:\n{said}")
    return result.stdout


def touch(paths: Iterable[Path]) -> None:
    """Change each file's stat key as an edit does, with a stamp older than the racy window."""
    stamp = time.time_ns() - STALE_NS
    for path in paths:
        os.utime(path, ns=(stamp, stamp))


def settle(folder: Path) -> None:
    """Wait until no file under `folder` is within agentmd's racy window, as files are that
    were written a moment ago (a fresh plan, a reset): their cached entries are not trusted."""
    newest = max((entry.stat().st_mtime_ns for entry in _files(folder)), default=0)
    wait = RACY_WAIT_S - (time.time_ns() - newest) / 1e9
    if wait > 0:
        time.sleep(wait)


def _files(folder: Path) -> Iterator[os.DirEntry[str]]:
    """Every file under `folder`, hidden ones (agentmd's .cache/) left out."""
    for entry in os.scandir(folder):
        if entry.name.startswith("."):
            continue
        if entry.is_dir(follow_symlinks=False):
            yield from _files(Path(entry.path))
        else:
            yield entry
