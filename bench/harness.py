"""Measuring for bench/run.py: a command's wall time and peak memory, run turn about with the
floor, in the environment an installation sees."""

from __future__ import annotations

import os
import shlex
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


@dataclass(frozen=True)
class Measurement:
    seconds: float  # median
    peak_mb: float  # the largest of the runs
    floor_seconds: float  # median of the floor's runs, each right after one of the command's
    floor_mb: float

    @property
    def ratio(self) -> float:
        return self.seconds / self.floor_seconds


def child_env() -> dict[str, str]:
    """The environment of every command run: as installed, Python keeps compiled bytecode (a
    shell that sets PYTHONDONTWRITEBYTECODE would make each run compile agentmd from source);
    no inherited GIT_* variable points git elsewhere; commits have a fixed author."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("GIT_") and k != "PYTHONDONTWRITEBYTECODE"
    }
    env.update(
        GIT_AUTHOR_NAME="bench",
        GIT_AUTHOR_EMAIL="bench@example.com",
        GIT_COMMITTER_NAME="bench",
        GIT_COMMITTER_EMAIL="bench@example.com",
    )
    return env


def run(argv: Iterable[str], cwd: Path, env: dict[str, str], expect: int = 0) -> Sample:
    """One run, timed; exits the benchmark if the command exits other than `expect`."""
    argv = list(argv)
    with tempfile.TemporaryFile() as errors:  # a pipe could fill and stall the command
        started = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=errors)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - started
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        if code != expect:
            errors.seek(0)
            said = errors.read().decode("utf-8", "replace")[-4000:]
            raise SystemExit(f"{shlex.join(argv)} (in {cwd}) exited {code}, not {expect}:\n{said}")
    return Sample(elapsed, usage.ru_maxrss * 1024 / 1e6)  # ru_maxrss is in KiB on Linux


def measure(
    argv: Iterable[str],
    cwd: Path,
    env: dict[str, str],
    runs: int,
    before: Callable[[], None] | None = None,
) -> Measurement:
    """`runs` runs of the command, each followed by one of the floor, so that a busy machine
    slows both alike. One untimed run of each first: caches warm, bytecode written. `before`
    prepares each timed run, untimed."""
    argv = list(argv)
    run(argv, cwd, env)
    run(FLOOR, cwd, env)
    mine, floor = [], []
    for _ in range(runs):
        if before is not None:
            before()
        mine.append(run(argv, cwd, env))
        floor.append(run(FLOOR, cwd, env))
    return Measurement(
        statistics.median(s.seconds for s in mine),
        max(s.peak_mb for s in mine),
        statistics.median(s.seconds for s in floor),
        max(s.peak_mb for s in floor),
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
