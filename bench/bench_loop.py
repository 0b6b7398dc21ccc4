"""Benchmark many agents at once: `next --parallel 8` at 100, 1,000 and 10,000 tasks beside the
floor `python -c "import click, yaml"`, and one cycle of the loop (`agentmd run`) at 10,000.

Prints a Markdown table (it is in the README):

    python bench/bench_loop.py [--sizes 100,1000,10000] [--runs 7]

The loop is a long-running process, so a cycle is timed inside one (`Loop.cycle()` with
--dry-run: every step runs, reads the state and decides; nothing is claimed and no worker
starts). The first cycle of a process also runs the check of the whole plan; later cycles
repeat it only when a file under .agents/ or HEAD changed, so both are reported.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from plans import make_plan  # noqa: E402
from run import AGENTMD, WORK, measure  # noqa: E402

HANDOFF = """---
task: {id}
status: done
---
## Summary

Implemented the piece and its tests.

## Completed

- The module and its tests, as the task asked.

## Remaining

None

## Decisions

- Kept the function pure, because the rules ask for it.

## Gotchas

None

## Next action

Start the tasks that depend on this one.

## Artifacts

- The module and its test file, both new.

## Verification

- The task's verify command: exit 0.
"""


def plan(size: int) -> Path:
    """The shared synthetic plan, with a handoff for each done task so that it passes check
    (the loop never works on a plan that does not)."""
    root = WORK / f"loop-plan-{size}"
    marker = root / ".agents" / ".bench-ready"
    if not marker.exists():
        subprocess.run(["rm", "-rf", str(root)], check=True)
        root.mkdir(parents=True)
        make_plan(root, size, git=False)
        for task in sorted((root / ".agents" / "tasks").iterdir()):
            if "\nstatus: done\n" in task.read_text():
                (root / ".agents" / "handoffs" / f"2026-01-01-{task.stem}.md").write_text(HANDOFF.format(id=task.stem))
        env = ["-c", "user.name=bench", "-c", "user.email=bench@example.com", "-c", "commit.gpgsign=false"]
        subprocess.run(["git", "init", "-q", "-b", "main"], cwd=root, check=True)
        subprocess.run(["git", "add", "-A"], cwd=root, check=True)
        subprocess.run(["git", *env, "commit", "-q", "-m", "plan"], cwd=root, check=True)
        marker.write_text("")
    return root


def loop_cycles(root: Path, runs: int) -> tuple[float, float, float]:
    """(first cycle, median later cycle) in seconds, and the peak RSS in MB, in this process."""
    from agentmd import loop
    from agentmd.workspace import Workspace

    ws = Workspace(root)
    options = loop.Options(worker="true", slots=8, dry_run=True)
    said: list[str] = []
    runner = loop.Loop(ws, options, said.append)
    started = time.perf_counter()
    outcome = runner.cycle()
    first = time.perf_counter() - started
    if outcome == "broken":
        raise SystemExit("the bench plan does not pass check:\n" + "\n".join(said[:5]))
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        runner.cycle()
        times.append(time.perf_counter() - started)
    assert any(line.startswith("would claim") for line in said), said[:3]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return first, statistics.median(times), peak


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    floor_t, floor_m = measure([sys.executable, "-c", "import click, yaml"], WORK.parent, args.runs)
    rows = [("`python -c \"import click, yaml\"` (floor)", "-", floor_t, floor_m)]
    for size in sizes:
        root = plan(size)
        argv = [AGENTMD, "next", "--parallel", "8"]
        one = sorted((root / ".agents" / "tasks").iterdir())[-1]

        def touch_one() -> None:
            # One task file changed since the last run: the remembered output cannot be used,
            # the index re-reads that one file.
            stamp = time.time_ns()
            os.utime(one, ns=(stamp, stamp))

        measure(argv, root, 1)
        rows.append(("`agentmd next --parallel 8` (nothing changed)", f"{size:,}", *measure(argv, root, args.runs)))
        rows.append(("`agentmd next --parallel 8` (one task file changed)", f"{size:,}", *measure(argv, root, args.runs, touch_one)))
        rows.append(("`agentmd next`, for comparison (one task file changed)", f"{size:,}", *measure([AGENTMD, "next"], root, args.runs, touch_one)))
    big = max(sizes)
    first, later, peak = loop_cycles(plan(big), args.runs)
    print(f"Median of {args.runs} runs; peak RSS. Python {sys.version.split()[0]}, {os.cpu_count()} cores.\n")
    print("| what | tasks | median | × floor | peak memory |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, size, seconds, mem in rows:
        print(f"| {name} | {size} | {seconds * 1000:.0f} ms | {seconds / floor_t:.2f} | {mem:.0f} MB |")
    print(f"| one loop cycle, plan unchanged since its last check (`run --dry-run`, 8 slots) | {big:,} | {later * 1000:.0f} ms | - | {peak:.0f} MB |")
    print(f"| first loop cycle of a process, check of the whole plan included | {big:,} | {first * 1000:.0f} ms | - | {peak:.0f} MB |")


if __name__ == "__main__":
    main()
