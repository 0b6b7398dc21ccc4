"""`agentmd run`: the loop that hands ready tasks to worker agents."""

from __future__ import annotations

import os
import signal
import threading

import click

from agentmd.cli.common import open_workspace
from agentmd.errors import EXIT_FINDINGS, EXIT_OK, AgentmdError
from agentmd.loop import cycle
from agentmd.loop.watch import observe, stop_observing
from agentmd.workspace.folder import CACHE_DIR, Workspace

BUSY_SLEEP = (0.1, 2.0)  # while workers run: start short, double up to the maximum
DEBOUNCE = 0.2  # seconds of quiet after a change under .agents/ before the next cycle


@click.command("run")
@click.option(
    "--worker",
    metavar="CMD",
    help="The worker command (default: plan.md's worker): "
         "prompt on stdin, the task's worktree as cwd.",
)
@click.option(
    "--slots",
    type=click.IntRange(min=1),
    metavar="N",
    help="Workers at once (default: plan.md's slots, else 1).",
)
@click.option(
    "--timeout",
    "timeout",
    metavar="DURATION",
    help="Stop a worker after this long (default: plan.md's worker_timeout, else 1h).",
)
@click.option(
    "--merge",
    type=click.Choice(cycle.MERGE_MODES),
    help="Merge a reviewed branch (auto), leave it for a person (manual), or push it and open "
    "a pull request (pr, through gh). Default: plan.md's merge, else auto.",
)
@click.option(
    "--sync",
    type=click.Choice(["github"]),
    help="Each cycle, report status back to the GitHub issues the tasks came from "
    "(agentmd sync github).",
)
@click.option(
    "--review",
    is_flag=True,
    help="Also have the model review each task in review (needs ANTHROPIC_API_KEY).",
)
@click.option(
    "--as", "owner", metavar="NAME", help="Who claims (default: $AGENTMD_AGENT or user@host)."
)
@click.option("--once", is_flag=True, help="Run one cycle, then exit.")
@click.option(
    "--until-done",
    is_flag=True,
    help="Exit when nothing is ready, active or in review: 0 when every task is done, else 1.",
)
@click.option("--dry-run", is_flag=True, help="Print what one cycle would do; change nothing.")
@click.option(
    "--max-sleep",
    type=click.FloatRange(min=0.1),
    default=30.0,
    show_default=True,
    metavar="SECONDS",
    help="Longest idle sleep between cycles.",
)
def run_loop(
    worker, slots, timeout, merge, review, owner, once, until_done, dry_run, max_sleep, sync
) -> int:
    """Run the loop: each cycle takes the first that applies.

    \b
    1. the plan does not pass check: report and stop (exit 1)
    2. workers that exited: review (exit 0) or a failed attempt; hung ones are
       stopped after worker_timeout; dead workers' and expired claims are released
    3. tasks in review: verify commands, handoff check, scope; done and merged, or
       back to todo with the problems under ## Attempts (failed after max_attempts)
    4. ready tasks and free slots: claim, create a worktree, start the worker
    5. nothing to do: sleep, woken early by changes under .agents/

    SIGINT/SIGTERM stop it cleanly; workers keep running and their claims keep their
    leases; a loop started again picks them up. Logs: .agents/.cache/runs/<task>/.
    """
    ws = open_workspace()
    options = cycle.options_from(
        ws,
        worker=worker,
        slots=slots,
        timeout=timeout,
        merge=merge,
        review=review,
        owner=owner,
        dry_run=dry_run,
        sync=sync,
    )
    if not options.worker and not dry_run:
        raise AgentmdError(
            "no worker command: pass --worker CMD or set worker: in plan.md",
            'e.g. --worker "$(agentmd setup claude --worker)" (docs/integrations.md)',
        )
    fd = cycle.hold_lock(ws)
    try:
        runner = cycle.Loop(ws, options, lambda line: click.echo(line))
        if dry_run:
            outcome = runner.cycle()
            if outcome == "idle":
                click.echo("nothing to do")
            return EXIT_FINDINGS if outcome == "broken" else EXIT_OK
        return _run(ws, runner, once, until_done, max_sleep)
    finally:
        os.close(fd)


def _run(ws: Workspace, runner: cycle.Loop, once: bool, until_done: bool, max_sleep: float) -> int:
    wake = threading.Event()

    def stop(signum, frame) -> None:
        runner.stopping = True
        wake.set()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    watcher = None if once else _watch(ws, wake)
    delay = 0.0
    try:
        while not runner.stopping:
            outcome = runner.cycle()
            if outcome == "broken":
                return EXIT_FINDINGS
            if once:
                return EXIT_OK
            if until_done and outcome != "acted":
                finished, all_done = runner.finished()
                if finished:
                    runner.tidy()
                    click.echo(
                        "every task is done"
                        if all_done
                        else "nothing is ready, active or in review"
                    )
                    return EXIT_OK if all_done else EXIT_FINDINGS
            if outcome == "acted":
                delay = 0.0
                continue
            low, high = BUSY_SLEEP if outcome == "waiting" else (0.5, max_sleep)
            delay = min(high, max(low, delay * 2))
            runner.rest()
            if wake.wait(delay) and not runner.stopping:
                wake.wait(DEBOUNCE)  # let a burst of writes settle
            wake.clear()
        click.echo("stopped: running workers keep their claims until their leases expire")
        return EXIT_OK
    finally:
        stop_observing(watcher)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _watch(ws: Workspace, wake: threading.Event):
    """Wake the loop early when a file under .agents/ changes (its own cache aside); without
    watchdog, polling alone still works, only slower to notice hand edits."""
    cache = str(ws.agents / CACHE_DIR)
    git_dir = f"{os.sep}.git{os.sep}"
    return observe(ws, wake, ignore=lambda path: path.startswith(cache) or git_dir in path)
