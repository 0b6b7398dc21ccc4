"""The loop (`agentmd run`): cycle by cycle, take the first thing that applies: a broken plan
stops it; workers that exited go to review (or back, or failed); dead or expired claims are
released; work in review is verified, checked and merged; free slots get ready tasks; else it
sleeps. All state is in the task files, git, and `.agents/.cache/runs/`: a loop killed at any
instant and started again finishes what was cut short or undoes it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import fcntl
import gc
import os
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from agentmd import clock, git, worktrees
from agentmd.api import findings_file
from agentmd.errors import AgentmdError, NothingToDo
from agentmd.loop import (
    bookkeeping,
    conflicts,
    costs,
    gate,
    launch,
    limits,
    merge,
    rebase,
    runs,
    slots,
)
from agentmd.prompt import compiler
from agentmd.tasks import claims, lease, lifecycle, parallel, verify_slots
from agentmd.tasks.reasons import one_line
from agentmd.workspace import folder
from agentmd.workspace.folder import CACHE_DIR, Workspace
from agentmd.workspace.records import Task

LOCK_FILE = "run.lock"
SETTLE_SECONDS = 10.0  # how long a git command left running by a killed loop may hold the index
MERGE_MODES = ("auto", "manual", "pr")  # pr: loop/pull_request.py


@dataclass(frozen=True)
class Options:
    worker: str
    slots: int = 1
    timeout: float = 3600.0  # seconds a worker may run
    merge: str = "auto"
    owner: str = "agentmd-run"
    dry_run: bool = False
    review: bool = False  # also ask agentmd.api.review.review_for_loop (the model's review)
    sync: str = ""  # "github": status back to the issues each cycle


def options_from(ws: Workspace, **given) -> Options:
    """Command-line values over plan.md's settings over the defaults."""
    raw = ws.settings.raw
    worker = given.get("worker") or str(raw.get("worker") or "")
    slots = given.get("slots") or raw.get("slots") or 1
    if isinstance(slots, bool) or not isinstance(slots, int) or slots < 1:
        raise AgentmdError(
            f"plan.md setting slots: '{slots}' is not a positive whole number", "e.g. slots: 2"
        )
    timeout_text = given.get("timeout") or str(raw.get("worker_timeout") or "1h")
    timeout = clock.duration(timeout_text, "worker_timeout")
    merge = str(given.get("merge") or raw.get("merge") or "auto").lower()
    if merge not in MERGE_MODES:
        raise AgentmdError(
            f"plan.md setting merge: '{merge}' is not one of {', '.join(MERGE_MODES)}",
            "merge: auto",
        )
    review = bool(given.get("review")) or raw.get("review") is True
    from agentmd.loop.slots import port_block  # (`slots` is a number here)

    port_block(ws)  # a bad `ports` stops the loop before it starts anything
    verify_slots.cap(ws)  # a bad `verify_slots` or `merge_conflicts` too
    conflicts.mode(ws)
    costs.budgets(ws)  # and so does a bad budget
    return Options(
        worker=worker,
        slots=slots,
        timeout=timeout.total_seconds(),
        merge=merge,
        owner=given.get("owner") or claims.default_owner(),
        dry_run=bool(given.get("dry_run")),
        review=review,
        sync=str(given.get("sync") or ""),
    )


class LoopBusy(AgentmdError):
    pass


def hold_lock(ws: Workspace) -> int:
    """One loop per repository: a second one would start every worker twice."""
    cache = ws.agents / CACHE_DIR
    cache.mkdir(parents=True, exist_ok=True)
    fd = os.open(cache / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise LoopBusy(
            "another 'agentmd run' is running in this repository",
            "stop it first; 'agentmd status' shows what it is doing",
        ) from None
    return fd


class Loop:
    """One loop process. `say` prints one line per action."""

    def __init__(self, ws: Workspace, options: Options, say: Callable[[str], None]):
        self.ws = ws
        ws.keep_findings()  # the plan is checked again after each change
        self.opt = options
        self.say = say
        self.children: dict[int, subprocess.Popen] = {}  # workers this process started, to reap
        self.stopping = False
        self.base_branch = git.out(
            ["symbolic-ref", "--quiet", "--short", "HEAD"], ws.root, check=False
        ).strip()
        self._seen: tuple | None = None  # what the state looked like when last read
        self._settled = False  # a killed loop's git commands are waited for once, at the start
        self._racy = (
            True  # a file changed so recently that its stat key may not show the next change
        )
        self._pause_said = 0.0  # the usage-limit pause this process has reported
        self._claims_said: frozenset[str] = frozenset()  # the claims `_say_claims` named
        self._budget_said: set[str] = set()  # budgets this process has said are spent ("": plan)
        self._book: tuple | None = None  # (the log's stat key, its ledger)
        self._checked: tuple | None = (
            None  # what the state looked like when the plan last passed check
        )

    # -- one cycle ----------------------------------------------------------------------------

    def cycle(self) -> str:
        """'broken', 'acted', 'waiting' (workers running) or 'idle'."""
        self._reap_children()
        if not self._settled and not self.opt.dry_run:
            self._settle()
            self._settled = True
        self._observe()
        problems = self._health()
        if problems:
            for problem in problems:
                self.say(problem.render())
            self.say(
                "stop: the plan does not pass 'agentmd check' "
                f"({len(problems)} error(s)); fix them and start again"
            )
            return "broken"
        if self.opt.sync == "github":  # status back to the issues, on a change
            from agentmd.loop import pull_request

            pull_request.sync_each_cycle(self)
        steps = (self.step_workers, self.step_release, self.step_review, self.step_start)
        if self.opt.dry_run:
            acted = [step() for step in steps]
            return "acted" if any(acted) else "idle"
        for step in steps:
            if self.stopping:
                return "idle"
            if step():
                return "acted"
        return "waiting" if self._live_runs() else "idle"

    def rest(self) -> None:
        """Before the loop sleeps: reading the plan froze what it built out of the cyclic
        collector's sight (folder._no_gc); a process that lives on gives it back and collects
        while nothing waits on it, so nothing is kept forever and no cycle pays for it."""
        gc.unfreeze()
        gc.collect()

    def _observe(self) -> None:
        """Re-read the state only when a file under .agents/ (a stat key), an always-loaded file
        or HEAD changed. Files changed within the racy window are always re-read."""
        entries = folder.scan(self.ws)
        roots = []
        for name in ("AGENTS.md", "CLAUDE.md"):
            try:
                st = (self.ws.root / name).stat()
                roots.append((name, st.st_mtime_ns, st.st_size, st.st_ino))
            except OSError:
                pass
        seen = (folder.signature(entries), tuple(roots), git.head(self.ws.root))
        racy = folder.newest_mtime(entries) >= time.time_ns() - folder.RACY_NS
        if seen != self._seen or racy or self._racy:
            self.ws.refresh()
            self.ws.__dict__["scanned"] = entries
        self._seen, self._racy = seen, racy

    def _health(self) -> list:
        # The check is slow on a large plan (it reads every file): it runs again only when a
        # stat key or HEAD changed, the racy window aside (stat keys are in nanoseconds).
        if self._checked is not None and self._checked == self._seen:
            return []
        problems = gate.plan_problems(self.ws)
        self._checked = None if problems else self._seen
        return problems

    def _reap_children(self) -> None:
        for pid, child in list(self.children.items()):
            if child.poll() is not None:
                del self.children[pid]

    def _live_runs(self) -> dict[str, runs.Run]:
        return {tid: run for tid, run in runs.load(self.ws).items() if run.pid and runs.alive(run)}

    # -- step: workers that exited, hung, died, or never started ------------------------------

    def step_workers(self) -> bool:
        acted = False
        for task_id, run in runs.load(self.ws).items():
            task = self.ws.tasks.get(task_id)
            if run.pid == 0:
                run = self._adopt(run)
            if task is None or task.status != "active":
                if self.opt.dry_run:
                    self.say(
                        f"would forget the worker of {task_id}: the "
                        f"task is {task.status if task else 'gone'}"
                    )
                    continue
                if run.pid and runs.alive(run):
                    runs.stop(run)
                runs.drop(self.ws, task_id)
                self.say(
                    f"drop {task_id}: the task is "
                    f"{task.status if task else 'gone'}, its worker is stopped"
                )
                acted = True
                continue
            if run.pid == 0:
                acted |= self._release(task, "the loop stopped before its worker started")
                continue
            code = runs.exit_code(self.ws, run)
            if code is None and runs.alive(run):
                if time.time() > run.deadline:
                    acted |= self._timed_out(task, run)
                continue
            spent = self._account(task, run, code) if code is not None else ""
            if code is None:
                acted |= self._release(task, "its worker process died without an exit status")
            elif code == 0:
                acted |= self._to_review(task, run)
            elif line := limits.match(self.ws, runs.tail(run.log(self.ws))):
                acted |= self._limited(task, run, line)
            else:
                log = os.path.relpath(run.log(self.ws), self.ws.root)
                acted |= self._send_back(
                    task,
                    f"the worker exited with status {code}; the end of "
                    f"its log ({log}):\n{runs.tail(run.log(self.ws))}\n(the attempt: {spent})",
                )
        return acted

    def _account(self, task: Task, run: runs.Run, code: int) -> str:
        """The attempt's wall time, exit and reported cost, as a `spent` line in the log."""
        if self.opt.dry_run:
            return ""
        try:
            ended = run.exit_file(self.ws).stat().st_mtime
        except OSError:
            ended = time.time()
        usd, tokens = costs.reported(run.log(self.ws))
        spend = costs.Spend(max(0, round(ended - run.started)), usd, tokens)
        costs.record(self.ws, task.id, run.attempt, code, spend)
        return costs.describe(spend, code)

    def _limited(self, task: Task, run: runs.Run, line: str) -> bool:
        """A worker stopped by its host's usage limit: not a failed attempt."""
        if self.opt.dry_run:
            self.say(f"would release {task.id}: its worker hit a usage limit ({line})")
            return True
        state = limits.pause(self.ws, line)
        claims.release(self.ws, task.id, f"its worker hit a usage limit: {line}")
        runs.set_aside(self.ws, run, "limit")  # its number is started again: its log kept beside
        runs.drop(self.ws, task.id)
        self._commit_state(task, f"release {task.id}")
        self.say(
            f"pause {task.id}: its worker hit a usage limit ({line}); released, no attempt "
            f"counted; no worker starts until {limits.when(state.until)}"
        )
        self._pause_said = state.until
        return True

    def _adopt(self, run: runs.Run) -> runs.Run:
        """A start cut short: the wrapper writes its pid first, so a started worker is found."""
        pid_file = run.folder(self.ws) / f"attempt-{run.attempt}.pid"
        if run.log(self.ws).exists():
            # The log is opened just before the worker starts: give its wrapper a moment.
            end = time.monotonic() + 1.0
            while not pid_file.exists() and time.monotonic() < end:
                time.sleep(0.05)
        try:
            pid = int(pid_file.read_text().strip())
        except (OSError, ValueError):
            return run
        return dataclasses.replace(
            run, pid=pid, started=time.time(), deadline=time.time() + self.opt.timeout
        )

    def _timed_out(self, task: Task, run: runs.Run) -> bool:
        if self.opt.dry_run:
            self.say(f"would stop the worker of {task.id}: it ran past worker_timeout")
            return True
        runs.stop(run)
        self._reap_children()
        self._account(task, run, 124)
        minutes = clock.human(dt.timedelta(seconds=self.opt.timeout))
        log = os.path.relpath(run.log(self.ws), self.ws.root)
        return self._send_back(
            task,
            f"the worker was stopped after worker_timeout ({minutes}); "
            f"the end of its log ({log}):\n{runs.tail(run.log(self.ws))}",
        )

    def _to_review(self, task: Task, run: runs.Run) -> bool:
        if self.opt.dry_run:
            self.say(f"would move {task.id} to review: its worker exited 0")
            return True
        tree = Path(run.worktree)
        if run.conflict and tree.is_dir():
            problem = conflicts.finish(self.ws, run, task)
            if problem:
                return self._send_back(task, problem)
        if tree.is_dir():
            # Work the worker left uncommitted still counts; it lands on the task's branch.
            if git.out(["status", "--porcelain", "-z"], tree).strip("\0"):
                git.run(["add", "-A"], tree)
                git.run(
                    [
                        "commit",
                        "-q",
                        "--no-verify",
                        "-m",
                        f"agentmd: work {task.id} left uncommitted",
                    ],
                    tree,
                )
        limits.clear(self.ws)  # a worker got through: a later limit backs off from the start
        lifecycle.set_status(self.ws, task.id, "review", "review", "its worker exited 0")
        runs.drop(self.ws, task.id)
        self._commit_state(task, f"review {task.id}")
        self.say(f"review {task.id}: its worker exited 0")
        return True

    # -- step: claims to release --------------------------------------------------------------

    def step_release(self) -> bool:
        running = runs.load(self.ws)
        acted = False
        for claim in lease.stale(self.ws):
            if claim.task.id in running:
                continue  # worker_timeout governs the loop's own workers
            expired = clock.human(claim.now - claim.expires) if claim.expires else "?"
            acted |= self._release(
                claim.task,
                f"its lease ({lease.lease_text(self.ws, claim.task)}) expired {expired} ago",
            )
        return acted

    def _release(self, task: Task, why: str) -> bool:
        if self.opt.dry_run:
            self.say(f"would release {task.id}: {why}")
            return True
        claims.release(self.ws, task.id, why)
        runs.drop(self.ws, task.id)
        self._commit_state(task, f"release {task.id}")
        self.say(f"release {task.id}: {why}")
        return True

    # -- step: review -------------------------------------------------------------------------

    def step_review(self) -> bool:
        acted = False
        for task in merge.queue(self.ws.tasks):
            if self.stopping:
                continue
            if task.record.fields.get("pull_request"):  # merge: pr waits on GitHub
                from agentmd.loop import pull_request

                acted |= pull_request.follow(self, task)
                continue
            branch = task.record.fields.get("awaiting_merge")
            if branch:
                acted |= self._merged_by_hand(task, str(branch))
                continue
            if self.opt.dry_run:
                self.say(
                    f"would review {task.id}: verify, handoff check, scope"
                    + (", model review" if self.opt.review else "")
                )
                acted = True
                continue
            acted |= self._review(task)
        return acted

    def _review(self, task: Task, rebased: bool = False) -> bool:
        """`rebased`: again, after the loop rebased the branch (the model's review is not
        asked twice for the same change)."""
        tree = worktrees.find(self.ws, task.id)
        if tree is not None and task.base:
            task = self._catch_up(task, tree)
        before = self._findings_files()
        problems = gate.review_problems(
            self.ws,
            task,
            tree,
            with_model=self.opt.review and not rebased,
            extra_env=self._verify_env(),
            note=self.say,
        )
        written = sorted(self._findings_files() - before)
        if written:
            # The model's findings file and its log line, committed before a merge can meet them.
            self._commit_state(task, f"model review of {task.id}", written)
        if self.stopping:
            return False  # a signal may have cut the verify commands short: review again later
        if problems:
            return self._send_back(
                task, "review found problems:\n" + "\n".join(f"- {p}" for p in problems)
            )
        if tree is None:
            return self._done(task, "verify passed, handoff valid")
        if self.opt.merge == "pr":  # push and open a pull request instead
            from agentmd.loop import pull_request

            return pull_request.propose(self, task, tree, written)
        if self.opt.merge == "manual":
            lifecycle.set_status(
                self.ws,
                task.id,
                "review",
                "await-merge",
                tree.branch,
                {"awaiting_merge": tree.branch},
            )
            self._commit_state(task, f"await merge {task.id}")
            self.say(
                f"await {task.id}: verify passed, handoff valid; "
                f"merge branch {tree.branch} by hand (merge: manual)"
            )
            return True
        return self._merge(task, tree, rebased)

    def _catch_up(self, task: Task, tree: worktrees.Worktree) -> Task:
        """A branch rebased by a loop killed before it recorded so: the task's base (and its
        handoff's) move to where the branch now starts."""
        moved = rebase.catch_up(self.ws, task, tree.path)
        if not moved:
            return task
        self._record_base(task, moved)
        return self.ws.tasks[task.id]

    def _record_base(self, task: Task, base: str) -> None:
        lifecycle.set_status(
            self.ws, task.id, "review", "rebase", f"onto {base[:12]}", {"base": base}
        )
        self._commit_state(task, f"rebase {task.id} onto {self.base_branch}")
        rebase.recorded(self.ws, task.id)

    def _rebase(self, task: Task, tree: worktrees.Worktree, head: str) -> bool:
        """The branch conflicts with the base branch: rebase it there, then review and merge
        it again; only a rebase that conflicts sends it back (or, with plan.md
        `merge_conflicts: worker`, hands the conflict to a worker)."""
        to_worker = conflicts.mode(self.ws) == "worker"
        done = rebase.onto(self.ws, task, tree.path, head, self.base_branch, keep=to_worker)
        if not done.done:
            if to_worker and done.conflicted:
                return self._hand_over(task, tree, head, done)
            return self._send_back(
                task, f"{done.problem}; the next attempt starts from the current {self.base_branch}"
            )
        self._record_base(task, head)
        self.say(
            f"rebase {task.id}: {tree.branch} conflicted with {self.base_branch}; rebased onto "
            f"{head[:12]} without a conflict, reviewing it again"
        )
        return self._review(self.ws.tasks[task.id], rebased=True)

    def _hand_over(
        self, task: Task, tree: worktrees.Worktree, head: str, found: rebase.Rebased
    ) -> bool:
        """merge_conflicts: worker: the conflict counts as an attempt, and a worker resolves it
        in the task's worktree, the rebase stopped there."""
        handed = conflicts.hand_over(
            self.ws, task, tree, head, found, self.opt.owner, self.base_branch
        )
        after = self.ws.tasks[task.id]
        if handed is None:
            rebase.abort(tree.path)
            self._commit_state(task, f"attempt {after.attempts} of {task.id} failed")
            self.say(
                f"failed {task.id}: attempt {after.attempts} of "
                f"{self.ws.settings.max_attempts}: {found.problem}"
            )
            return True
        self._commit_state(task, f"conflict of {task.id} to a worker")
        self.say(
            f"conflict {task.id}: {found.problem}; a worker resolves it in "
            f"{os.path.relpath(tree.path, self.ws.root)} (attempt {handed.run.attempt})"
        )
        return self._launch(after, tree, handed.prompt, handed.run)

    def _findings_files(self) -> set[str]:
        """The files in .agents/reviews/, relative to the repository root."""
        folder = self.ws.agents / findings_file.FOLDER
        try:
            names = os.listdir(folder)
        except OSError:
            return set()
        agents = self.ws.agents.relative_to(self.ws.root).as_posix()
        return {f"{agents}/{findings_file.FOLDER}/{name}" for name in names}

    def _settle(self) -> None:
        """Wait for a git command that a killed loop left running here (its merge, its commit)
        to let go of the index; a merge of a task branch left half done is undone."""
        paths = git.out(
            [
                "rev-parse",
                "--path-format=absolute",
                "--git-path",
                "MERGE_HEAD",
                "--git-path",
                "index.lock",
            ],
            self.ws.root,
        ).split("\n")
        merge_head, lock = Path(paths[0]), Path(paths[1])
        end = time.monotonic() + SETTLE_SECONDS
        while lock.exists() and time.monotonic() < end:
            time.sleep(0.05)
        self._commit_leftovers()
        self._undo_rebases()
        try:
            commit = merge_head.read_text().split()[0]
        except (OSError, IndexError):
            return
        branches = git.out(
            ["branch", "--points-at", commit, "--format=%(refname:short)"],
            self.ws.root,
            check=False,
        ).split()
        ours = [b for b in branches if worktrees.task_of_branch(self.ws, b)]
        if ours:
            git.run(["merge", "--abort"], self.ws.root, check=False)
            self.say(f"undo a merge of {ours[0]} that a stopped loop left half done")

    def _undo_rebases(self) -> None:
        """A rebase of a task's branch a killed loop left half done is aborted: the branch is
        as it was, and its review (the rebase with it) runs again. A conflict handed to a
        worker keeps its stopped rebase while the worker has it."""
        running = runs.load(self.ws)
        for path in worktrees.listed(self.ws):
            if not rebase.in_progress(path):
                continue
            branch = rebase.branch_of(path)
            task_id = worktrees.task_of_branch(self.ws, branch) if branch else None
            if task_id is None or task_id in running:
                continue
            rebase.abort(path)
            rebase.recorded(self.ws, task_id)  # aborted: the branch starts where it did
            self.say(f"undo a rebase of {branch} that a stopped loop left half done")

    def _commit_leftovers(self) -> None:
        """Task files and the log a killed loop changed but did not commit yet."""
        if (
            not self.base_branch
            or git.out(
                ["symbolic-ref", "--quiet", "--short", "HEAD"], self.ws.root, check=False
            ).strip()
            != self.base_branch
        ):
            return
        agents = self.ws.agents.relative_to(self.ws.root).as_posix()
        changed = git.split_z(
            git.out(
                [
                    "diff",
                    "HEAD",
                    "--name-only",
                    "-z",
                    "--",
                    f"{agents}/tasks/",
                    f"{agents}/{lifecycle.LOG}",
                ],
                self.ws.root,
                check=False,
            )
        )
        if changed:
            git.run(
                [
                    "commit",
                    "-q",
                    "--no-verify",
                    "--only",
                    "-m",
                    "agentmd: bookkeeping a stopped loop left uncommitted",
                    "--",
                    *changed,
                ],
                self.ws.root,
                check=False,
            )

    def _merge(self, task: Task, tree: worktrees.Worktree, rebased: bool = False) -> bool:
        self._settle()
        if git.run(["diff", "--cached", "--quiet"], self.ws.root, check=False).returncode != 0:
            self.say(
                f"wait {task.id}: the index has staged changes, and git "
                "merges only into a clean index; commit or unstage them"
            )
            return False
        current = git.out(
            ["symbolic-ref", "--quiet", "--short", "HEAD"], self.ws.root, check=False
        ).strip()
        if current != self.base_branch:
            self.say(
                f"wait {task.id}: {self.base_branch or 'the base branch'} is not "
                f"checked out here (now {current or 'detached'}), so it cannot be merged"
            )
            return False
        head = git.head(self.ws.root) or ""
        if not merge.merged(self.ws, tree.branch):  # not merged by a loop killed since
            bookkeeping.hand_back(tree.path, bookkeeping.task_file(task.path), head, task.id)
        outcome = merge.integrate(
            self.ws, task, tree.branch, self.base_branch, self._verify_env(), self.say
        )
        if self.stopping and not outcome.merged:
            return False  # a signal may have cut the verify commands short: review again later
        if outcome.wait:
            self.say(f"wait {task.id}: {outcome.wait}")
            return False
        if outcome.conflicted and not rebased:
            return self._rebase(task, tree, head)
        if not outcome.merged:
            return self._send_back(task, outcome.problem)
        self._done(task, f"verify passed, handoff valid, merged {tree.branch}")
        self._prune(tree)
        return True

    def _merged_by_hand(self, task: Task, branch: str) -> bool:
        merged = git.run(["merge-base", "--is-ancestor", branch, "HEAD"], self.ws.root, check=False)
        if merged.returncode != 0:
            return False
        if self.opt.dry_run:
            self.say(f"would mark {task.id} done: {branch} is merged")
            return True
        editor = self.ws.edit(task.path)
        editor.delete("awaiting_merge")
        self.ws.save(task.path, editor.text)
        self._done(task, f"{branch} was merged by hand")
        tree = worktrees.find(self.ws, task.id)
        if tree is not None and tree.branch == branch:
            self._prune(tree)
        return True

    def _prune(self, tree: worktrees.Worktree) -> None:
        """The worktree and branch the loop made for a task whose work is merged: all of it
        is on the base branch now (git refuses to delete a branch that is not)."""
        if worktrees.remove(self.ws, tree, force=True) is None:
            git.run(["branch", "-q", "-d", tree.branch], self.ws.root, check=False)

    def tidy(self) -> None:
        """At the end of --until-done: what a loop killed between a merge and its pruning left,
        and the integration worktree."""
        if self.opt.dry_run:
            return
        self.ws.refresh()
        worktrees.prune(self.ws, statuses=("done",))
        merge.drop_integration_tree(self.ws)

    def _done(self, task: Task, why: str) -> bool:
        with self.ws.lock():
            editor = self.ws.edit(task.path)
            editor.delete("awaiting_merge")
            self.ws.save(task.path, editor.text)
        lifecycle.set_status(self.ws, task.id, "done", "done", why)
        self._commit_state(task, f"done {task.id}")
        self.say(f"done {task.id}: {why}")
        self._say_lessons(task.id)
        return True

    def _say_lessons(self, task_id: str) -> None:
        """The lessons the finished task's handoff records: listed, never adopted here (a
        person decides what becomes a rule)."""
        from agentmd.lessons.found import new_lessons

        self.ws.refresh()
        for lesson in new_lessons(self.ws, task_id):
            if lesson.task == task_id:
                self.say(
                    f"lesson {lesson.ref} from {task_id}: {lesson.text} "
                    f"(agentmd lessons adopt {lesson.ref} --as gotcha|decision|rule)"
                )

    def _send_back(self, task: Task, reason: str) -> bool:
        if self.opt.dry_run:
            self.say(f"would send {task.id} back: {reason.splitlines()[0]}")
            return True
        after = lifecycle.fail(self.ws, task.id, reason, by=self.opt.owner)
        with self.ws.lock():
            editor = self.ws.edit(after.path)
            editor.delete("awaiting_merge")
            self.ws.save(after.path, editor.text)
        runs.drop(self.ws, task.id)
        self._commit_state(task, f"attempt {after.attempts} of {task.id} failed")
        first = one_line(reason)
        if after.status == "failed":
            self.say(
                f"failed {task.id}: attempt {after.attempts} "
                f"of {self.ws.settings.max_attempts}: {first}"
            )
        else:
            self.say(
                f"retry {task.id}: attempt {after.attempts} of "
                f"{self.ws.settings.max_attempts} failed: {first}"
            )
        return True

    # -- step: start workers ------------------------------------------------------------------

    def step_start(self) -> bool:
        free = self.opt.slots - len(self._live_runs())
        if free <= 0:
            return False
        if self._over_budget():
            return False
        paused = limits.current(self.ws)
        if paused is not None and time.time() < paused.until:
            if self._pause_said != paused.until:
                self.say(
                    f"wait: a worker hit a usage limit ({paused.reason}); "
                    f"no worker starts until {limits.when(paused.until)}"
                )
                self._pause_said = paused.until
            return False
        compiled: dict[str, compiler.Compiled] = {}

        book = self._ledger()
        _, task_budget = costs.budgets(self.ws)

        def accept(task: Task) -> str | None:
            spent = book.by_task.get(task.id, 0.0)
            if task_budget is not None and spent >= task_budget:
                return f"its spend ${spent:.2f} reached task_budget_usd ${task_budget:.2f}"
            try:
                compiled[task.id] = compiler.compile_prompt(self.ws, task, mode="loop")
            except compiler.TooLarge as exc:
                return exc.message
            return None

        from agentmd.checks import readiness

        selection = parallel.pick(self.ws, free, accept, readiness.reasons(self.ws))
        for held in selection.held:
            if "too large" in held.reason:
                self.say(f"skip {held.task.id}: {held.reason}")
            elif "task_budget_usd" in held.reason and held.task.id not in self._budget_said:
                self._budget_said.add(held.task.id)
                self.say(f"skip {held.task.id}: {held.reason}")
        started = False
        for task in selection.chosen:
            if self.stopping:
                break
            started |= self._start(task, compiled[task.id])
        if not started:
            self._say_claims(selection.held)
        return started

    def _say_claims(self, held: list[parallel.Held]) -> None:
        """Once for each set of them: the claims the loop did not make (a person's, an imported
        task in progress) that hold ready tasks back, and when each runs out."""
        own = self._live_runs()
        theirs = [c for c in lease.claims(self.ws) if c.task.id not in own]
        ids = {c.task.id for c in theirs}
        if not any(h.because in ids or (not h.because and "runs alone" in h.reason) for h in held):
            return
        if frozenset(ids) == self._claims_said:
            return
        self._claims_said = frozenset(ids)
        parts = []
        for c in theirs:
            ends = (
                f"its lease ends {limits.when(c.expires.timestamp())}"
                if c.expires
                else "claimed at an unknown time, so its lease never ends"
            )
            parts.append(f"{c.task.id} (claimed by {c.owner or 'nobody'}; {ends})")
        self.say(
            f"wait: {len(held)} ready task(s) held back by active tasks the loop did not start: "
            f"{', '.join(parts)}; 'agentmd release ID' hands one back"
        )

    def _start(self, task: Task, compiled: compiler.Compiled) -> bool:
        if not self.opt.worker:
            raise AgentmdError(
                "no worker command: pass --worker CMD or set worker: in plan.md",
                'e.g. --worker "$(agentmd setup claude --worker)" (docs/integrations.md)',
            )
        attempt = task.attempts + 1
        path, branch = worktrees.path_for(self.ws, task.id), worktrees.branch_for(self.ws, task.id)
        if self.opt.dry_run:
            rel = os.path.relpath(path, self.ws.root)
            self.say(
                f"would claim {task.id} (attempt {attempt}) "
                f"and start the worker in {rel} on {branch}"
            )
            return True
        slot = slots.free(r.slot for r in runs.load(self.ws).values() if r.task != task.id)
        intent = runs.Run(
            task.id, attempt, self.opt.owner, 0, "", 0.0, 0.0, str(path), branch, slot
        )
        runs.save(self.ws, intent)  # before the claim: a loop killed after it knows to undo it
        try:
            task = claims.claim(self.ws, task.id, self.opt.owner)
        except NothingToDo:
            runs.drop(self.ws, task.id)
            return False
        claimed = self._commit_state(task, f"claim {task.id}")
        # From the claim's commit: in its worktree the task reads as claimed, with its base,
        # as in any claimed session (`agentmd verify`, `handoff new` work there as documented).
        start = git.head(self.ws.root) if claimed else None
        tree, _ = worktrees.create(self.ws, task, fresh=True, start=start)
        merge.copy_included(self.ws, tree.path)
        return self._launch(task, tree, compiled.prompt, intent)

    def _launch(
        self, task: Task, tree: worktrees.Worktree, prompt: str, intent: runs.Run
    ) -> bool:
        """Start the worker in `tree` for the run `intent` (saved before the claim). A conflict
        worker's (loop/conflicts.py) gets the worktree as it is, its rebase stopped, and no
        worktree_setup again."""
        attempt, slot = intent.attempt, intent.slot
        child = launch.start(
            self.ws,
            task,
            intent,
            tree,
            prompt,
            self.opt.worker,
            self.opt.owner,
            "" if intent.conflict else merge.setup_script(self.ws),
            slots.env_for(self.ws, slot),
        )
        self.children[child.pid] = child
        now = time.time()
        runs.save(
            self.ws,
            dataclasses.replace(
                intent,
                pid=child.pid,
                process_start=runs.process_start(child.pid),
                started=now,
                deadline=now + self.opt.timeout,
            ),
        )
        log = os.path.relpath(intent.log(self.ws), self.ws.root)
        self.say(
            f"start {task.id}: attempt {attempt}, worker pid {child.pid} "
            f"in {os.path.relpath(tree.path, self.ws.root)}, log {log}"
        )
        return True

    def _ledger(self) -> costs.Ledger:
        """The ledger, read again only when the log changed."""
        try:
            st = (self.ws.agents / lifecycle.LOG).stat()
            key = (st.st_mtime_ns, st.st_size)
        except OSError:
            key = None
        if self._book is None or key != self._book[0]:
            self._book = (key, costs.ledger(self.ws))
        return self._book[1]

    def _startable(self) -> bool:
        """A ready task the loop would start: not one whose own spend reached task_budget_usd."""
        _, task_budget = costs.budgets(self.ws)
        spent = self._ledger().by_task if task_budget is not None else {}
        return any(
            task_budget is None or spent.get(c.task.id, 0.0) < task_budget
            for c in parallel.ready(self.ws.tasks)
        )

    def _over_budget(self) -> bool:
        budget, _ = costs.budgets(self.ws)
        if budget is None:
            return False
        spent = self._ledger().total
        if spent < budget:
            return False
        if not self._budget_said:
            self.say(
                f"stop starting work: the plan's budget_usd (${budget:.2f}) is spent "
                f"(${spent:.2f}); running workers finish, reviews and merges go on"
            )
            self._budget_said.add("")
        return True

    def _verify_env(self) -> dict[str, str]:
        """The loop verifies one task at a time, in the slot after the workers' own."""
        return slots.env_for(self.ws, self.opt.slots)

    def _commit_state(self, task: Task, message: str, extra: list[str] | None = None) -> bool:
        """Keep the task's status on the base branch as commits, so a merge of the task's
        branch never meets uncommitted bookkeeping. `extra`: more paths under the root.
        Whether it was committed."""
        if not self.base_branch:
            return False
        current = git.out(
            ["symbolic-ref", "--quiet", "--short", "HEAD"], self.ws.root, check=False
        ).strip()
        if current != self.base_branch:
            return False
        agents = self.ws.agents.relative_to(self.ws.root).as_posix()
        paths = [f"{agents}/{task.path}", f"{agents}/{lifecycle.LOG}", *(extra or [])]
        paths = [p for p in paths if (self.ws.root / p).exists()]
        # `commit --only` takes tracked files from the working tree: no `git add` that a killed
        # loop could leave staged (a staged change stops every merge). New files need one.
        tracked = set(
            git.split_z(git.out(["ls-files", "-z", "--", *paths], self.ws.root, check=False))
        )
        if set(paths) - tracked:
            git.run(["add", "--", *sorted(set(paths) - tracked)], self.ws.root, check=False)
        committed = git.run(
            ["commit", "-q", "--no-verify", "--only", "-m", f"agentmd: {message}", "--", *paths],
            self.ws.root,
            check=False,
        )
        return committed.returncode == 0

    # -- the whole run ------------------------------------------------------------------------

    def finished(self) -> tuple[bool, bool]:
        """(nothing ready, active or in review; every task done)."""
        self.ws.refresh()
        tasks = self.ws.tasks.values()
        busy = any(
            t.status in ("active", "review") and not t.record.fields.get("awaiting_merge")
            for t in tasks
        )
        ready = self._startable() and not self._over_budget()
        return not busy and not ready and not self._live_runs(), all(
            t.status == "done" for t in tasks
        )
