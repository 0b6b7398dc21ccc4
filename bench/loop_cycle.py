"""Loop cycles timed in-process, run by bench/run.py as a child so that its peak memory is the
loop's own: `python bench/loop_cycle.py PLAN_ROOT` prints JSON.

The loop is a long-running process, so a cycle is timed inside one (`Loop.cycle()` with
--dry-run: every step runs, reads the state and decides; nothing is claimed and no worker
starts). Four cycles: the first of the process, which also checks the whole plan; one after a
task file changed, which checks it again; one after nothing changed; one after a commit that
moved HEAD and changed no file (as a claim's or a merge's commit does for the handoffs).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

from harness import touch

from agentmd.loop import cycle
from agentmd.workspace.folder import Workspace


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6


def main(root: Path) -> None:
    said: list[str] = []
    runner = cycle.Loop(
        Workspace(root), cycle.Options(worker="true", slots=8, dry_run=True), said.append
    )

    def timed() -> float:
        started = time.perf_counter()
        outcome = runner.cycle()
        elapsed = time.perf_counter() - started
        if outcome == "broken":
            raise SystemExit(
                "the loop stopped: the bench plan does not pass check\n" + "\n".join(said[-10:])
            )
        return elapsed

    first = timed()
    first_peak = peak_mb()
    # Each later cycle follows a sleep, as in `agentmd run`, which rests before it sleeps
    # (Loop.rest: the cyclic collector runs then, untimed, not in the next cycle).
    runner.rest()
    touch([max((root / ".agents" / "tasks").iterdir())])
    changed = timed()
    runner.rest()
    unchanged = timed()
    runner.rest()
    # A claim or a merge commits: HEAD moves and no handoff changes (taken back afterwards,
    # so that the plan is as it was for the next run).
    subprocess.run(["git", "commit", "-q", "--allow-empty", "-m", "bench"], cwd=root, check=True)
    try:
        committed = timed()
    finally:
        subprocess.run(["git", "reset", "-q", "--soft", "HEAD~1"], cwd=root, check=True)
    if not any(line.startswith("would claim") for line in said):
        raise SystemExit("the loop claimed nothing, even in a dry run:\n" + "\n".join(said[-10:]))
    print(json.dumps({
        "first": first, "first_peak_mb": first_peak,
        "changed": changed, "unchanged": unchanged, "committed": committed,
        "peak_mb": peak_mb(),
    }))  # fmt: skip


if __name__ == "__main__":
    main(Path(sys.argv[1]))
