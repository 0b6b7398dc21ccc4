"""Benchmark the core commands on plans of 100, 1,000 and 10,000 tasks.

Prints a Markdown table (paste it into the README): median wall time and peak memory of each
command, beside the floor `python -c "import click, yaml"`, the least any such Python CLI pays.

    python bench/run.py [--sizes 100,1000,10000] [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from plans import make_plan  # noqa: E402

WORK = Path(__file__).parent / ".work"
BIN = Path(sys.executable).parent
AGENTMD = str(BIN / "agentmd")


def measure(argv: list[str], cwd: Path, runs: int, before=None) -> tuple[float, float]:
    """Median wall seconds and the largest peak RSS (MB) over `runs` runs."""
    times, peaks = [], []
    for _ in range(runs):
        if before:
            before()
        started = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - started
        code = os.waitstatus_to_exitcode(status)
        if code not in (0, 1):
            raise SystemExit(f"{' '.join(argv)} exited {code}: {proc.stderr.read().decode()}")
        times.append(elapsed)
        peaks.append(usage.ru_maxrss / 1024)
    return statistics.median(times), max(peaks)


def plan(size: int) -> Path:
    root = WORK / f"plan-{size}"
    if not (root / ".agents" / "tasks").is_dir() or len(os.listdir(root / ".agents" / "tasks")) != size:
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        make_plan(root, size)
    return root


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    floor_t, floor_m = measure([sys.executable, "-c", "import click, yaml"], WORK.parent, args.runs)
    rows = [("`python -c \"import click, yaml\"` (floor)", "-", floor_t, floor_m)]
    version_t, version_m = measure([AGENTMD, "--version"], WORK.parent, args.runs)
    rows.append(("`agentmd --version`", "-", version_t, version_m))
    for size in sizes:
        root = plan(size)
        tasks = sorted((root / ".agents" / "tasks").iterdir())

        def cold() -> None:
            # Every file changed: a new mtime on each, so no cached entry or output is trusted.
            stamp = time.time_ns()
            for path in tasks:
                os.utime(path, ns=(stamp, stamp))

        measure([AGENTMD, "next"], root, 1)  # warm the cache
        rows.append(("`agentmd next` (nothing changed)", f"{size:,}", *measure([AGENTMD, "next"], root, args.runs)))
        rows.append(("`agentmd next` (cold: every file changed)", f"{size:,}", *measure([AGENTMD, "next"], root, args.runs, cold)))
        rows.append(("`agentmd list --json`", f"{size:,}", *measure([AGENTMD, "list", "--json"], root, args.runs)))

    print(f"Median of {args.runs} runs; peak RSS of the process. Python {sys.version.split()[0]}, {os.cpu_count()} cores.\n")
    print("| command | tasks | median | × floor | peak memory |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, size, seconds, peak in rows:
        print(f"| {name} | {size} | {seconds * 1000:.0f} ms | {seconds / floor_t:.2f} | {peak:.0f} MB |")


if __name__ == "__main__":
    main()
