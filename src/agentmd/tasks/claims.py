"""Every way a task is claimed or let go, in one place. A claim is the task's file moved to
active with `claimed_by`, `claimed_at`, `lease` and `base`, written by `write_claim` alone and
always under the workspace lock, so of two claimants exactly one wins:

- `claim`: one named task (`agentmd claim`, the loop);
- `claim_next`: the first ready task a caller accepts (`agentmd next --claim`);
- `claim_batch`: tasks that can run side by side (`agentmd next --parallel N --claim`);
- `claim_and_push`: any of these, committed and pushed, with git as the referee between clones;
- `release`: back to todo (`agentmd release`, the loop on an expired lease).
"""

from __future__ import annotations

from collections.abc import Callable

from agentmd import clock, git
from agentmd.errors import NothingToDo
from agentmd.files.edit import Editor
from agentmd.tasks import graph, lease, lifecycle, parallel, remote_claims
from agentmd.tasks.lifecycle import CLAIM_FIELDS
from agentmd.tasks.owner import default_owner  # noqa: F401 - this module's API
from agentmd.tasks.parallel import Selection
from agentmd.workspace.folder import Workspace
from agentmd.workspace.records import Task

HELD = ("active", "review")  # statuses that hold a claim


def claimable(ws: Workspace, task_id: str, errors: graph.Errors | None = None) -> Task:
    """The task, if it is ready to be claimed; NothingToDo saying why not."""
    task = ws.task(task_id)
    if task.status != "todo":
        raise NothingToDo(f"task '{task_id}' is {task.status}, not todo: it cannot be claimed")
    reasons = graph.blockers(task, ws.tasks, errors)
    if reasons:
        raise NothingToDo(f"task '{task_id}' is not ready: " + "; ".join(reasons))
    return task


def write_claim(ws: Workspace, task: Task, owner: str) -> None:
    """Write the claim into the task's file and log it; the caller holds the lock."""
    base = git.head(ws.root)
    lease_text = ws.settings.lease

    def change(editor: Editor) -> None:
        editor.set("status", "active")
        editor.set("claimed_by", owner)
        editor.set("claimed_at", clock.stamp())
        if lease_text:
            editor.set("lease", lease_text)
        if base:
            editor.set("base", base)

    lifecycle.edit_task(ws, task, change)
    lifecycle.log(ws, "claim", task.id, f"by {owner}" + (f" at {base[:12]}" if base else ""))


def claim(
    ws: Workspace, task_id: str, owner: str, errors: graph.Errors | None = None
) -> Task:
    """Claim one ready task, under the workspace lock so that only one claimant wins; `errors`
    are the tasks `check` calls broken (checks/readiness.py), which are not ready."""
    with lifecycle.changing(ws):
        ws.refresh()
        write_claim(ws, claimable(ws, task_id, errors), owner)
    ws.refresh()
    return ws.task(task_id)


def claim_next(
    ws: Workspace,
    owner: str,
    choose: Callable[[list[graph.Candidate]], Task | None],
    errors: graph.Errors | None = None,
) -> Task | None:
    """Claim the first ready task that `choose` picks, atomically."""
    with lifecycle.changing(ws):
        ws.refresh()
        plan = graph.analyse(ws.tasks, errors)
        task = choose(plan.ready)
        if task is None:
            return None
        write_claim(ws, task, owner)
    ws.refresh()
    return ws.task(task.id)


def claim_batch(
    ws: Workspace,
    owner: str,
    limit: int,
    accept: Callable[[Task], str | None] | None = None,
    errors: graph.Errors | None = None,
) -> Selection:
    """Pick and claim a batch under the workspace lock: of racing processes each task goes once."""
    with lifecycle.changing(ws):
        ws.refresh()
        selection = parallel.pick(ws, limit, accept, errors)
        for task in selection.chosen:
            write_claim(ws, task, owner)
    ws.refresh()
    return Selection([ws.task(t.id) for t in selection.chosen], selection.held)


def claim_and_push(
    ws: Workspace, owner: str, choose: Callable[[Workspace], list[Task]]
) -> list[Task]:
    """Claim what `choose` picks from the up-to-date plan, commit only the task files and their
    log lines, push.

    `choose` runs under the workspace lock on fresh state; it returns the tasks to claim (none
    ends the attempt) or raises. A rejected push undoes the local claim commit and tries again.
    """
    remote, branch = remote_claims.upstream(ws.root)
    lost: list[str] = []  # claims another clone won: logged with the next claim commit
    for _round in range(remote_claims.MAX_ROUNDS):
        remote_claims.catch_up(ws.root, remote, branch)
        with lifecycle.changing(ws):
            ws.refresh()
            picked = choose(ws)
            remote_claims.refuse_edited(ws, picked)
            for task_id in lost if picked else ():
                lifecycle.log(ws, "lost", task_id, "another clone pushed first; choosing again")
            lost = []
            for task in picked:
                write_claim(ws, task, owner)
        ws.refresh()
        if not picked:
            return []
        if remote_claims.push_claims(ws, remote, branch, picked, owner):
            return [ws.task(t.id) for t in picked]
        lost += [t.id for t in picked]
        ws.refresh()
    raise remote_claims.gave_up(remote, branch)


def release(ws: Workspace, task_id: str, reason: str = "", *, only_stale: bool = False) -> Task:
    """Free a claim: back to todo without the claim's fields; counts no attempt."""
    with lifecycle.changing(ws):
        ws.refresh()
        task = ws.task(task_id)
        if task.status not in HELD:
            raise NothingToDo(f"task '{task_id}' is {task.status}: there is no claim to release")
        if only_stale and not lease.claim_of(ws, task).stale:
            raise NothingToDo(f"the claim on '{task_id}' has not expired")
        editor = ws.edit(task.path)
        editor.set("status", "todo")
        for key in (*CLAIM_FIELDS, "awaiting_merge"):
            editor.delete(key)
        ws.save(task.path, editor.text)
        who = f" from {task.claimed_by}" if task.claimed_by else ""
        lifecycle.log(ws, "release", task_id, (reason or "released") + who)
    ws.refresh()
    return ws.task(task_id)
