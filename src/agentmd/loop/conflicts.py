"""plan.md `merge_conflicts: worker`: a rebase that conflicts is handed to a fresh worker, in
the task's worktree with the rebase stopped, with a prompt built for it (both tasks' goals and
handoffs, the conflicting hunks, the steps to finish). It counts as an attempt; what it hands
back is checked for a finished rebase and leftover conflict markers, then reviewed like any
task's work. The default, `back`, sends the task back instead."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from agentmd import AGENTS_DIR, git, worktrees
from agentmd.errors import AgentmdError, LocatedError
from agentmd.files import document
from agentmd.loop import merge, rebase, runs, slots
from agentmd.workspace.folder import Workspace
from agentmd.workspace.records import Task

MODES = ("back", "worker")
HUNK_LINES = 200  # of the conflicting diff, in the prompt
MARKER = "leftover conflict marker"  # what `git diff --check` says of one


def mode(ws: Workspace) -> str:
    value = str(ws.settings.raw.get("merge_conflicts") or "back").lower()
    if value not in MODES:
        raise AgentmdError(
            f"plan.md setting merge_conflicts: '{value}' is not one of {', '.join(MODES)}",
            "merge_conflicts: back (send the task back) or worker (a worker resolves it)",
        )
    return value


class Handed(NamedTuple):
    prompt: str  # the conflict worker's
    run: runs.Run  # its run, saved before the claim


def hand_over(
    ws: Workspace,
    task: Task,
    tree: worktrees.Worktree,
    head: str,
    found: rebase.Rebased,
    owner: str,
    base_branch: str,
) -> Handed | None:
    """The conflict as an attempt, then the task claimed again for a worker in its worktree
    (the loop starts it); None when that attempt was the last one: the task is failed."""
    from agentmd.tasks import claims, lifecycle

    other = merge.task_that_changed(ws.root, found.conflicted, task.base) if task.base else None
    text = prompt(ws, task, tree, head, base_branch, found, other)
    reason = (
        f"{found.problem}; handed to a worker to resolve in its worktree, the rebase stopped "
        "there (merge_conflicts: worker)"
    )
    after = lifecycle.fail(ws, task.id, reason, by=owner)
    if after.status == "failed":
        return None
    used = (r.slot for r in runs.load(ws).values() if r.task != task.id)
    intent = runs.Run(
        task.id, after.attempts + 1, owner, 0, "", 0.0, 0.0, str(tree.path), tree.branch,
        slots.free(used), head,
    )  # fmt: skip
    runs.save(ws, intent)  # before the claim, as the loop's own starts: a kill undoes it
    claims.claim(ws, task.id, owner)
    lifecycle.set_status(ws, task.id, "active", "conflict", f"onto {head[:12]}", {"base": head})
    return Handed(text, intent)


def prompt(
    ws: Workspace,
    task: Task,
    tree: worktrees.Worktree,
    head: str,
    base_branch: str,
    found: rebase.Rebased,
    other: str | None,
) -> str:
    """The conflict worker's prompt."""
    files = ", ".join(f"`{path}`" for path in found.conflicted)
    origin = (
        merge.changed_by(ws.root, found.conflicted, task.base)
        if task.base and found.conflicted
        else ""
    )
    by = origin or f"a change on `{base_branch}`"
    parts = [
        f"# Resolve a conflict: task `{task.id}` ({task.title})",
        "",
        f"You are in the worktree of task `{task.id}`, where `git rebase {head[:12]}` (the "
        f"tip of `{base_branch}`) stopped: the task's work changes {files}, which {by} "
        f"changed too since the task started. **Preserve the intent of both changes**: "
        f"the task's, and the one already on `{base_branch}`; drop neither.",
        "",
        f"## This task: `{task.id}`",
        "",
        _goal(ws, task.path) or "(no goal written)",
        "",
        "### Its handoff",
        "",
        _handoff_text(ws, task.id, tree.branch, task.base) or "(none)",
    ]
    if other:
        other_task = ws.tasks.get(other)
        parts += [
            "",
            f"## The change already on `{base_branch}`: task `{other}`"
            + (f" ({other_task.title})" if other_task else ""),
            "",
            (_goal(ws, other_task.path) if other_task else "") or "(no goal written)",
            "",
            "### Its handoff",
            "",
            _handoff_text(ws, other) or "(none)",
        ]
    parts += [
        "",
        "## The conflicting hunks",
        "",
        "```diff",
        hunks(tree.path),
        "```",
        "",
        "## How to finish",
        "",
        "1. Edit each conflicting file so it does what both changes meant, and delete every "
        "conflict marker (`<<<<<<<`, `=======`, `>>>>>>>`).",
        "2. `git add` the files, then `GIT_EDITOR=true git rebase --continue`; resolve and "
        "continue again at each further stop until the rebase is done.",
        "3. Run the task's verify commands and make them pass: "
        + (", ".join(f"`{command}`" for command in task.verify) or "(it declares none)")
        + ".",
        "4. Write a new handoff to `$AGENTMD_HANDOFF`, with `base: "
        f"{head}` in its front matter: what you resolved and how, the files in Artifacts. "
        "Commit it on the branch.",
        "5. Exit 0 when the rebase is done and verify passes; exit non-zero if you could not "
        "resolve it (say why in the handoff). Do not run `agentmd done`, `claim` or `fail`, "
        "and do not edit `.agents/tasks/`.",
    ]
    return "\n".join(parts) + "\n"


def hunks(tree: Path) -> str:
    """The conflicting files' diff, markers and all, cut to HUNK_LINES lines."""
    lines = git.out(["diff", "--no-color"], tree, check=False).splitlines()
    if len(lines) > HUNK_LINES:
        lines = lines[:HUNK_LINES] + [f"... ({len(lines) - HUNK_LINES} more lines: git diff)"]
    return "\n".join(lines)


def finish(ws: Workspace, run: runs.Run, task: Task) -> str:
    """After a conflict worker exited 0: '' when its worktree holds a finished rebase without
    conflict markers (its work committed), else what is wrong with it."""
    tree = Path(run.worktree)
    if rebase.in_progress(tree):
        left = git.split_z(
            git.out(["diff", "--name-only", "--diff-filter=U", "-z"], tree, check=False)
        )
        if left:
            return (
                f"the conflict worker left the rebase stopped with unmerged files: "
                f"{', '.join(left)}"
            )
        git.run(["add", "-A"], tree)
        done = git.run(
            ["rebase", "--continue"], tree, check=False, env={**git.clean_env(), **rebase.QUIET}
        )
        if done.returncode != 0 or rebase.in_progress(tree):
            rebase.abort(tree)
            said = (done.stderr or done.stdout).strip().splitlines()
            return "the conflict worker left the rebase unfinished, and it does not continue" + (
                f": {said[-1]}" if said else ""
            )
    if git.out(["status", "--porcelain", "-z"], tree).strip("\0"):
        git.run(["add", "-A"], tree)
        git.run(
            ["commit", "-q", "--no-verify", "-m", f"agentmd: work {task.id} left uncommitted"],
            tree,
        )
    markers = [
        line.split(": ", 1)[0]
        for line in git.out(["diff", "--check", run.conflict, "HEAD"], tree, check=False)
        .splitlines()
        if line.endswith(MARKER)
    ]
    if markers:
        return f"the conflict worker left conflict markers: {', '.join(markers)}"
    rebase.move_handoff_base(tree, task.id, run.conflict)
    return ""


def _goal(ws: Workspace, task_path: str) -> str:
    try:
        doc = ws.read(task_path)
    except LocatedError:
        return ""
    section = doc.section("Goal")
    return section.full if section else ""


def _handoff_text(ws: Workspace, task_id: str, branch: str = "", since: str = "") -> str:
    """The task's latest handoff: on `branch` among the handoffs it wrote since `since` (the
    worktree is in the middle of a rebase), else in the base checkout."""
    from agentmd.handoffs.latest import latest

    if not branch:
        handoff = ws.latest_handoffs.get(task_id)
        if handoff is None:
            return ""
        try:
            return (ws.agents / handoff.path).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError):
            return ""
    folder = f"{AGENTS_DIR}/handoffs/"
    names = git.split_z(
        git.out(["diff", "--name-only", "-z", since, branch, "--", folder], ws.root, check=False)
    )
    found, texts = [], {}
    for name in names:
        shown = git.run(["show", f"{branch}:{name}"], ws.root, check=False)
        if shown.returncode != 0:
            continue
        try:
            fields = document.parse(shown.stdout, name).fields
        except LocatedError:
            continue
        found.append((name, str(fields.get("task") or "")))
        texts[name] = shown.stdout.strip()
    path = latest(task_id, found)
    return texts[path] if path else ""
