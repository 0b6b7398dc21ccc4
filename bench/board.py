"""The board's benchmark: first paint and a live update at 10,000 tasks, in headless chromium.

`python bench/board.py [--sizes 10000] [--runs 5]` starts `agentmd board` on the bench plan
(bench/plans.py), and prints a table:

- **ready**: from starting `agentmd board` to the URL printed (the state built, the port open);
- **first paint**: from navigating to the board to the browser's first contentful paint;
- **live update**: from `agentmd claim` returning (the task file written) to the card shown
  in the active column, pushed by the server; no reload.

Needs chromium (apt-get install chromium) and Playwright (pip install playwright); launched with
the system browser, never one Playwright downloads.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import call, child_env, settle  # noqa: E402
from plans import cached_plan  # noqa: E402

WORK = Path(__file__).resolve().parent / ".work"
AGENTMD = str(Path(sys.executable).with_name("agentmd"))
CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TARGET_S = 1.0


def start(root: Path, env: dict[str, str]) -> tuple[subprocess.Popen, str, float]:
    began = time.perf_counter()
    proc = subprocess.Popen(
        [AGENTMD, "board"], cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    line = proc.stdout.readline()
    ready = time.perf_counter() - began
    threading.Thread(target=proc.stderr.read, daemon=True).start()  # never a full pipe
    match = re.match(r"agentmd board: (http://\S+) ", line)
    if not match:
        proc.kill()
        raise SystemExit(f"agentmd board printed no URL: {line!r} {proc.communicate()[1]}")
    return proc, match.group(1), ready


def ready_task(root: Path, env: dict[str, str]) -> str:
    out = call([AGENTMD, "next", "--json"], root, env)
    return json.loads(out)["task"]["id"]


def measure(root: Path, env: dict[str, str], runs: int) -> dict[str, list[float]]:
    from playwright.sync_api import sync_playwright

    found: dict[str, list[float]] = {"ready": [], "first paint": [], "live update": []}
    with tempfile.TemporaryDirectory() as profile, sync_playwright() as pw:
        browser = pw.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=FLAGS
        )
        for _ in range(runs):
            proc, url, ready = start(root, env)
            try:
                found["ready"].append(ready)
                page = browser.new_page()
                page.goto(url, wait_until="load")
                paint = page.evaluate(
                    "() => { const p = performance.getEntriesByName('first-contentful-paint')[0];"
                    " return p ? p.startTime : performance.now(); }"
                )
                found["first paint"].append(paint / 1000)
                page.wait_for_selector("#live.live.live")
                task = ready_task(root, env)
                call([AGENTMD, "claim", task, "--as", "bench"], root, env)
                written = time.perf_counter()
                page.wait_for_selector(
                    f'section[data-status="active"] .card[data-id="{task}"]', timeout=30_000
                )
                found["live update"].append(time.perf_counter() - written)
                page.close()
            finally:
                proc.terminate()
                proc.wait(timeout=30)
            call(["git", "checkout", "-q", "--", ".agents"], root, env)
            settle(root / ".agents")
        browser.close()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000", help="plan sizes (default: %(default)s)")
    parser.add_argument("--runs", type=int, default=5, help="runs per size (default: %(default)s)")
    args = parser.parse_args()
    if not os.access(CHROMIUM, os.X_OK):
        raise SystemExit("no chromium: apt-get install chromium")
    env = child_env()
    WORK.mkdir(exist_ok=True)
    lines = [
        f"Python {sys.version.split()[0]}, {os.cpu_count()} cores, median of {args.runs} runs "
        f"(load {os.getloadavg()[0]:.2f} at start), headless chromium.",
        "",
        "| board | tasks | median | slowest | target | met |",
        "| --- | ---: | ---: | ---: | --- | --- |",
    ]
    for size in (int(s) for s in args.sizes.split(",")):
        print(f"{size:,} tasks: preparing the plan", file=sys.stderr)
        root = cached_plan(WORK, size, env)
        settle(root / ".agents")
        for name, samples in measure(root, env, args.runs).items():
            median = statistics.median(samples)
            target = f"< {TARGET_S:g} s" if name != "ready" else ""
            met = "" if not target else ("yes" if median < TARGET_S else "**no**")
            lines.append(
                f"| {name} | {size:,} | {median * 1000:,.0f} ms | {max(samples) * 1000:,.0f} ms "
                f"| {target} | {met} |"
            )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
