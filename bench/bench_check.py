"""Benchmark: the pre-commit hook and `agentmd check` on plans of 100, 1,000 and 10,000 tasks.

The hook's case is a commit that stages one task file and its handoff; the floor is starting
Python and importing click and yaml. Prints a Markdown table. Run: .venv/bin/python bench/bench_check.py
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from plans import make_plan  # noqa: E402

WORK = Path(__file__).resolve().parent / ".work"
SIZES = (100, 1_000, 10_000)
RUNS = 7
PYTHON = sys.executable
AGENTMD = [PYTHON, "-m", "agentmd"]
HANDOFF = """\
---
task: t00000
status: done
base: {base}
---
## Summary

Reviewed the auth piece of task t00000; it needs no change.

## Completed

- `t00000`: the auth piece, reviewed

## Remaining

None

## Decisions

- Kept the module pure, as `.agents/rules/auth.md` asks.

## Gotchas

None

## Next action

Start `t00001`.

## Artifacts

None

## Verification

- `git diff --stat`: nothing changed outside .agents/
"""


def measure(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, int, int]:
    """Wall seconds, peak RSS in KiB, exit code of one run."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return elapsed, usage.ru_maxrss, proc.returncode


FLOOR = [PYTHON, "-c", "import click, yaml"]


def median_of(command: list[str], cwd: Path, env: dict[str, str], runs: int = RUNS):
    """(seconds, KiB, exit code) of the command and of the floor, run turn about so that a
    busy machine slows both alike."""
    measure(command, cwd, env)  # warm the page cache and agentmd's index
    results, floors = [], []
    for _ in range(runs):
        results.append(measure(command, cwd, env))
        floors.append(measure(FLOOR, cwd, env))
    mine = (statistics.median(r[0] for r in results), max(r[1] for r in results), results[-1][2])
    floor = (statistics.median(r[0] for r in floors), max(r[1] for r in floors))
    return mine, floor


def prepare(n: int) -> Path:
    root = WORK / f"plan-{n}"
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    make_plan(root, n)
    env = git_env()
    subprocess.run(AGENTMD + ["hooks", "install"], cwd=root, check=True, env=env, capture_output=True)
    base = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, check=True, env=env, capture_output=True,
                          text=True).stdout.strip()
    (root / ".agents/handoffs/2026-11-22-t00000.md").write_text(HANDOFF.format(base=base))
    task = root / ".agents/tasks/t00000.md"
    task.write_text(task.read_text() + "\n## Notes\n\nReviewed.\n")
    subprocess.run(["git", "add", ".agents/handoffs/2026-11-22-t00000.md", ".agents/tasks/t00000.md"],
                   cwd=root, check=True, env=env)
    return root


def git_env() -> dict[str, str]:
    # As installed: Python keeps compiled bytecode (a shell that sets PYTHONDONTWRITEBYTECODE
    # would make every run compile agentmd from source, which no installation does).
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") and k != "PYTHONDONTWRITEBYTECODE"}
    env.update(GIT_AUTHOR_NAME="bench", GIT_AUTHOR_EMAIL="bench@example.com",
               GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="bench@example.com")
    return env


def main() -> int:
    env = git_env()
    rows = []
    for n in SIZES:
        root = prepare(n)
        (hook, hook_mem, hook_code), floor = median_of([str(root / ".git/hooks/pre-commit")], root, env)
        if hook_code != 0:
            print(f"the hook refused the benchmark commit at {n} tasks", file=sys.stderr)
            return 1
        rows.append(("pre-commit hook (1 task + its handoff staged)", n, hook, hook_mem, floor))
        (check, check_mem, _), floor = median_of(AGENTMD + ["check"], root, env, runs=5)
        rows.append(("agentmd check (whole plan, index cached)", n, check, check_mem, floor))
    print('| command | tasks | median wall time | peak memory | floor (`python -c "import click, yaml"`), measured turn about |')
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, n, seconds, mem, (floor_s, floor_mem) in rows:
        print(f"| {name} | {n:,} | {seconds * 1000:,.0f} ms ({seconds / floor_s:.1f}x floor) | {mem / 1024:,.0f} MiB | "
              f"{floor_s * 1000:,.0f} ms, {floor_mem / 1024:,.0f} MiB |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
