"""The benchmark: agentmd's commands on plans of 100, 1,000 and 10,000 tasks, beside the floor.

    python bench/run.py [--sizes 100,1000,10000] [--runs 7] [--only core,check,loop]

Prints one Markdown table for the README: each command's median wall time, the floor's median
measured turn about with it (`python -c "import click, yaml"`, the least any such Python CLI
pays), the ratio, the peak memory, and the target the issues hold it to. Groups: core
(`--version`, `next`, `list --json`), check (the pre-commit hook, `check`), loop
(`next --parallel 8`, one cycle of `agentmd run`). Exits non-zero when a command exits with a
code it should not, or when the plan does not pass `agentmd check`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from harness import Measurement, call, child_env, measure, settle, touch
from plans import cached_plan, handoff

BENCH = Path(__file__).resolve().parent
WORK = BENCH / ".work"
AGENTMD = str(Path(sys.executable).parent / "agentmd")
GROUPS = ("core", "check", "loop")


class Target(NamedTuple):
    """What the issues hold a row to; every limit given must hold."""

    x_floor: float | None = None
    seconds: float | None = None
    mb: float | None = None
    x_reference: float | None = None  # times the row's reference (READER for a cold `next`)
    tasks: int | None = None  # held at this size only (the figure); other sizes shown

    def __str__(self) -> str:
        parts = []
        if self.x_floor is not None:
            parts.append(f"≤ {self.x_floor:g}× floor")
        if self.x_reference is not None:
            parts.append(f"≤ {self.x_reference:g}× the hand-written reader")
        if self.seconds is not None:
            parts.append(f"< {self.seconds:g} s")
        if self.mb is not None:
            parts.append(f"< {self.mb:.3g} MB")
        if self.tasks is not None:
            parts.append(f"at {self.tasks:,} tasks")
        return ", ".join(parts)

    def holds(self, row: Row) -> bool:
        return self.tasks is None or row.tasks == self.tasks

    def met(self, row: Row) -> bool:
        return (
            (
                self.x_floor is None
                or (
                    row.floor_seconds is not None
                    and row.seconds <= self.x_floor * row.floor_seconds
                )
            )
            and (self.seconds is None or row.seconds < self.seconds)
            and (self.mb is None or row.peak_mb < self.mb)
            and (
                self.x_reference is None
                or (
                    row.reference_seconds is not None
                    and row.seconds <= self.x_reference * row.reference_seconds
                )
            )
        )


class Row(NamedTuple):
    command: str
    tasks: int | None
    seconds: float
    peak_mb: float
    floor_seconds: float | None  # None: timed in-process, where the floor means nothing
    target: Target | None = None
    reference_seconds: float | None = None


# The table's rows in order, with their targets; a command's sizes follow each other.
VERSION = "`agentmd --version`"
NEXT_IDLE = "`agentmd next` (nothing changed since the last run)"
NEXT_AFTER_LIST = "`agentmd next` (nothing changed; `list --json` remembered just before)"
NEXT_ONE = "`agentmd next` (one task file changed)"
NEXT_COLD = "`agentmd next` (cold: every task file's mtime changed)"
NEXT_NO_CACHE = "`agentmd next` (cold: .agents/.cache/ deleted)"
NEXT_NO_CACHE_ONE = "`agentmd next` (cold: .agents/.cache/ deleted; one process: AGENTMD_JOBS=1)"
READER = "reference: a hand-written front-matter reader (bench/fm_reader.py)"
LIST = "`agentmd list --json` (nothing changed)"
PARALLEL_IDLE = "`agentmd next --parallel 8` (nothing changed)"
PARALLEL_ONE = "`agentmd next --parallel 8` (one task file changed)"
HOOK = "pre-commit hook: one task file and its handoff staged"
CHECK = "`agentmd check` (the whole plan)"
CYCLE_FIRST = "one loop cycle in-process (`run --dry-run`, 8 slots): the first of a process"
CYCLE_ONE = "one loop cycle in-process: after one task file changed"
CYCLE_IDLE = "one loop cycle in-process: after nothing changed"
CYCLE_COMMIT = "one loop cycle in-process: after a commit (HEAD moved, no handoff changed)"
PRIME = "`agentmd prime` (a session start: nothing changed, no task held)"
MIB_40 = 40 * 2**20 / 1e6  # the table is in MB (10^6 bytes); 40 MiB is 41.9 of them
TARGETS: dict[str, Target | None] = {
    VERSION: Target(x_floor=1.3),
    NEXT_IDLE: Target(x_floor=2.5, mb=100),
    NEXT_AFTER_LIST: Target(x_floor=1.5),  # at 10,000 tasks, whatever else was remembered
    NEXT_ONE: Target(seconds=1, mb=100),  # a cold run's limit: one changed file is less work
    NEXT_COLD: Target(seconds=1, mb=100),
    NEXT_NO_CACHE: Target(x_reference=1.3, mb=MIB_40, tasks=10_000),
    NEXT_NO_CACHE_ONE: None,  # what one core pays (the reader's lot): beside the row above
    READER: None,
    LIST: None,
    PARALLEL_IDLE: Target(x_floor=3),
    PARALLEL_ONE: Target(x_floor=3),
    HOOK: Target(x_floor=1.6),
    CHECK: Target(seconds=1, mb=MIB_40),
    CYCLE_FIRST: None,  # it checks the whole plan: `agentmd check`'s row holds that
    CYCLE_ONE: Target(seconds=0.5),
    CYCLE_IDLE: Target(seconds=0.5),
    CYCLE_COMMIT: Target(seconds=0.5),
    PRIME: Target(x_floor=2),
}
# issue 13: `agentmd import` of a Backlog.md folder and a tasks.json (bench/imports.py)
from imports import IMPORT_BACKLOG, IMPORT_TASKMASTER, import_rows  # noqa: E402

GROUPS = (*GROUPS, "import")
TARGETS.update({IMPORT_BACKLOG: Target(seconds=5), IMPORT_TASKMASTER: Target(seconds=5)})


def imports_rows(root: Path, size: int, env: dict[str, str], runs: int) -> list[Row]:
    return [row(c, n, m) for c, n, m in import_rows(WORK, size, env, runs, AGENTMD)]


ORDER = list(TARGETS)


class Extra(NamedTuple):
    command: str
    args: tuple[str, ...]
    group: str
    before: Callable[[Path], None] | None
    expect: int


EXTRA_ROWS: list[Extra] = []


def add_row(
    command: str,
    args: list[str],
    target: Target | None,
    *,
    group: str = "core",
    before: Callable[[Path], None] | None = None,
    expect: int = 0,
) -> None:
    """One more row of the table: `agentmd ARGS` run as a fresh process in the plan's root, at
    each size, timed turn about with the floor and held to `target`. `before(root)` prepares
    each timed run, untimed (touch a task file, delete the cache); `expect` is the exit code
    the command should give. The row runs with its group (`--only`)."""
    if command in TARGETS:
        raise ValueError(f"a row named {command!r} is in the table already")
    TARGETS[command] = target
    ORDER.append(command)
    EXTRA_ROWS.append(Extra(command, tuple(args), group, before, expect))


# Rows for the commands other issues add, one line each once they land, for example:
#   add_row("`agentmd prime` (session start, nothing changed)", ["prime"], Target(x_floor=1.5))
#   add_row("`agentmd board`", ["board"], Target(x_floor=2.5))
#   add_row("`agentmd import` (a Task Master tasks.json)", ["import", ...], Target(seconds=1))


def extra_rows(group: str, root: Path, size: int, env: dict[str, str], runs: int) -> list[Row]:
    rows = []
    for extra in (e for e in EXTRA_ROWS if e.group == group):
        prepare_run = (lambda: extra.before(root)) if extra.before else None  # noqa: B023
        m = measure([AGENTMD, *extra.args], root, env, runs, prepare_run, expect=extra.expect)
        rows.append(row(extra.command, size, m))
    return rows


def row(command: str, tasks: int | None, m: Measurement) -> Row:
    return Row(command, tasks, m.seconds, m.peak_mb, m.floor_seconds, TARGETS[command])


def prepare(size: int, env: dict[str, str]) -> Path:
    """The plan of `size` tasks, and proof that it passes `agentmd check`: a benchmark of a plan
    with thousands of findings would measure the wrong thing."""
    root = cached_plan(WORK, size, env)
    settle(root / ".agents")
    result = subprocess.run([AGENTMD, "check"], cwd=root, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        found = (result.stdout + result.stderr).splitlines()
        raise SystemExit(
            f"the bench plan {root} does not pass agentmd check:\n" + "\n".join(found[:20])
        )
    return root


def refresh_git_index(root: Path, env: dict[str, str]) -> None:
    # New mtimes make git's index stat-dirty: later git calls would hash every file again,
    # which a repository in use (a `git status` now and then) does not.
    call(["git", "update-index", "-q", "--refresh"], root, env)


def core_rows(root: Path, size: int, env: dict[str, str], runs: int) -> list[Row]:
    tasks = sorted((root / ".agents" / "tasks").iterdir())
    argv = [AGENTMD, "next"]
    rows = [
        row(NEXT_IDLE, size, measure(argv, root, env, runs)),
        row(
            NEXT_AFTER_LIST,
            size,
            measure(argv, root, env, runs, lambda: call([AGENTMD, "list", "--json"], root, env)),
        ),
        row(NEXT_ONE, size, measure(argv, root, env, runs, lambda: touch(tasks[-1:]))),
        row(NEXT_COLD, size, measure(argv, root, env, runs, lambda: touch(tasks))),
    ]
    reader_argv = [sys.executable, str(BENCH / "fm_reader.py"), str(root)]
    reader = measure(reader_argv, root, env, runs)
    cache = root / ".agents" / ".cache"

    def cold(name: str, environment: dict[str, str]) -> Row:
        # the reader run turn about with it: the ratio is of runs side by side, not of two
        # blocks minutes apart on a machine whose speed drifts
        m = measure(
            argv, root, environment, runs, lambda: shutil.rmtree(cache, ignore_errors=True),
            beside=reader_argv,
        )  # fmt: skip
        return row(name, size, m)._replace(reference_seconds=m.beside_seconds)

    rows.append(row(READER, size, reader))
    rows.append(cold(NEXT_NO_CACHE, env))
    rows.append(cold(NEXT_NO_CACHE_ONE, {**env, "AGENTMD_JOBS": "1"}))
    call(argv, root, env)  # the cache again, for the rows after
    refresh_git_index(root, env)
    rows.append(row(LIST, size, measure([AGENTMD, "list", "--json"], root, env, runs)))
    rows.append(row(PRIME, size, measure([AGENTMD, "prime"], root, env, runs)))
    return rows


def check_rows(root: Path, size: int, env: dict[str, str], runs: int) -> list[Row]:
    rows = [row(CHECK, size, measure([AGENTMD, "check"], root, env, runs))]
    call([AGENTMD, "hooks", "install"], root, env)
    stage_task_and_handoff(root, env)
    try:  # the hook as git runs it, on a commit of one task file and its handoff
        rows.append(
            row(HOOK, size, measure([str(root / ".git" / "hooks" / "pre-commit")], root, env, runs))
        )
    finally:
        call(["git", "reset", "-q", "--hard"], root, env)
        call(["git", "clean", "-q", "-fd", "--", ".agents/handoffs"], root, env)
    return rows


def stage_task_and_handoff(root: Path, env: dict[str, str]) -> None:
    """Stage a note on the first task (done) and a new handoff for it, from the first commit."""
    base = call(["git", "rev-list", "--max-parents=0", "HEAD"], root, env).strip()
    task = root / ".agents" / "tasks" / "t00000.md"
    task.write_text(task.read_text() + "\n## Notes\n\nReviewed again; nothing to change.\n")
    (root / ".agents" / "handoffs" / "2026-12-01-t00000.md").write_text(handoff(0, base))
    call(
        ["git", "add", ".agents/tasks/t00000.md", ".agents/handoffs/2026-12-01-t00000.md"],
        root,
        env,
    )


def loop_rows(root: Path, size: int, env: dict[str, str], runs: int) -> list[Row]:
    tasks = sorted((root / ".agents" / "tasks").iterdir())
    argv = [AGENTMD, "next", "--parallel", "8"]
    rows = [
        row(PARALLEL_IDLE, size, measure(argv, root, env, runs)),
        row(PARALLEL_ONE, size, measure(argv, root, env, runs, lambda: touch(tasks[-1:]))),
    ]
    refresh_git_index(root, env)
    # One process per run: the first cycle of a process happens once in it.
    cycles = [
        json.loads(call([sys.executable, str(BENCH / "loop_cycle.py"), str(root)], root, env))
        for _ in range(runs)
    ]
    refresh_git_index(root, env)

    def median(key: str) -> float:
        return statistics.median(c[key] for c in cycles)

    first_peak, peak = max(c["first_peak_mb"] for c in cycles), max(c["peak_mb"] for c in cycles)
    for command, key, mb in (
        (CYCLE_FIRST, "first", first_peak),
        (CYCLE_ONE, "changed", peak),
        (CYCLE_IDLE, "unchanged", peak),
        (CYCLE_COMMIT, "committed", peak),
    ):
        rows.append(Row(command, size, median(key), mb, None, TARGETS[command]))
    return rows


def table(rows: list[Row], runs: int, load: float) -> str:
    lines = [
        f"Python {sys.version.split()[0]}, {os.cpu_count()} "
        f"cores, median of {runs} run{'s' * (runs != 1)} "
        f"(load {load:.2f} at start). "
        'Floor: `python -c "import click, yaml"`, run turn about with each command. '
        "Peak memory: the peak RSS of the command's largest process (a cold read forks).",
        "",
        "| command | tasks | median wall time | floor | × floor | peak memory | target | met |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for r in sorted(rows, key=lambda r: (ORDER.index(r.command), r.tasks or 0)):
        floor = "–" if r.floor_seconds is None else f"{r.floor_seconds * 1000:,.0f} ms"
        ratio = "–" if r.floor_seconds is None else f"{r.seconds / r.floor_seconds:.2f}"
        held = r.target is not None and r.target.holds(r)
        met = "" if r.target is None or not held else ("yes" if r.target.met(r) else "**no**")
        if r.reference_seconds is not None:  # the reader, run turn about with this row
            times = r.seconds / r.reference_seconds
            met += f" ({times:.2f}× the reader's {r.reference_seconds * 1000:,.0f} ms beside it)"
        lines.append(
            f"| {r.command} | {'–' if r.tasks is None else f'{r.tasks:,}'} "
            f"| {r.seconds * 1000:,.0f} ms | {floor} "
            f"| {ratio} | {r.peak_mb:,.0f} MB | {r.target or ''} | {met} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", default="100,1000,10000", help="plan sizes, in tasks (default: %(default)s)"
    )
    parser.add_argument(
        "--runs", type=int, default=7, help="timed runs of each command (default: %(default)s)"
    )
    parser.add_argument(
        "--only", default=",".join(GROUPS), help="groups to run (default: %(default)s)"
    )
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    only = set(args.only.split(","))
    if only - set(GROUPS) or args.runs < 1:
        parser.error(f"--only takes some of {','.join(GROUPS)}; --runs at least 1")
    if not os.access(AGENTMD, os.X_OK):
        raise SystemExit(
            f"no {AGENTMD}: run this with the Python agentmd is installed in (.venv/bin/python)"
        )

    env = child_env()
    WORK.mkdir(exist_ok=True)
    load = os.getloadavg()[0]
    rows: list[Row] = []
    if "core" in only:
        rows.append(row(VERSION, None, measure([AGENTMD, "--version"], WORK, env, args.runs)))
    groups: list[tuple[str, Callable[[Path, int, dict[str, str], int], list[Row]]]] = [
        ("core", core_rows), ("check", check_rows), ("loop", loop_rows),
        ("import", imports_rows),
    ]  # fmt: skip
    for size in sizes:
        print(f"{size:,} tasks: preparing the plan", file=sys.stderr)
        root = prepare(size, env)
        for name, rows_of in groups:
            if name in only:
                print(f"{size:,} tasks: {name}", file=sys.stderr)
                settle(root / ".agents")  # the hook's scenario, reset, leaves a file just written
                rows += rows_of(root, size, env, args.runs)
                rows += extra_rows(name, root, size, env, args.runs)
    print(table(rows, args.runs, load))


if __name__ == "__main__":
    main()
