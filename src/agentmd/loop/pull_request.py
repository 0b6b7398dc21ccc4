"""`agentmd run --merge pr` and `--sync github`: the loop's GitHub doors, kept apart from the
cycle so that its merge step stays simple. Instead of merging a reviewed branch, push it and
open a pull request (the handoff as its body, the model's findings as a comment): the system
proposes, a person merges. The task waits in review until the pull request is merged (then
done) or closed (then back, with the closing comment as the problem)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from agentmd import AGENTS_DIR, git
from agentmd.errors import LocatedError
from agentmd.github import gh
from agentmd.tasks import lifecycle
from agentmd.workspace.records import Task

if TYPE_CHECKING:
    from agentmd.workspace.folder import Workspace
    from agentmd.worktrees import Worktree

REMOTE = "origin"
FIELD = "pull_request"


class _Options(Protocol):
    @property
    def dry_run(self) -> bool: ...


class Loop(Protocol):
    """What these doors use of loop/cycle's Loop (typed here, so that cycle alone imports)."""

    @property
    def ws(self) -> Workspace: ...
    @property
    def opt(self) -> _Options: ...
    @property
    def say(self) -> Callable[[str], None]: ...
    @property
    def base_branch(self) -> str: ...
    @property
    def _seen(self) -> tuple | None: ...
    def _commit_state(self, task: Task, message: str, extra: list[str] | None = None) -> bool: ...
    def _done(self, task: Task, why: str) -> bool: ...
    def _send_back(self, task: Task, reason: str) -> bool: ...


def _gh_trouble(loop: Loop, message: str) -> None:
    """One line per kind of trouble, not one per cycle: the loop goes on without gh."""
    said = loop.__dict__.setdefault("_gh_said", set())
    if message not in said:
        said.add(message)
        loop.say(f"gh: {message}; the loop goes on without it")


def _handoff_body(loop: Loop, task: Task, tree: Worktree) -> str:
    """The task's latest handoff, as the branch has it (the worktree's .agents/handoffs/)."""
    from agentmd.files import textfile
    from agentmd.files.frontmatter import split
    from agentmd.handoffs.names import order_key

    head = f"agentmd task `{task.id}`: {task.title}\n"
    folder = tree.path / AGENTS_DIR / "handoffs"
    names = (
        sorted((p.name for p in folder.glob(f"*-{task.id}*.md") if p.is_file()), key=order_key)
        if folder.is_dir()
        else []
    )
    for name in reversed(names):
        try:
            text = textfile.read_text(folder / name, name)
        except LocatedError:
            continue
        fm = split(text, name) if text.startswith("---") else None
        if fm is not None and f"task: {task.id}" in fm.raw:
            return head + "\n" + text[fm.body_start :].strip() + "\n"
    return head


def propose(loop: Loop, task: Task, tree: Worktree, findings: list[str]) -> bool:
    """Push the task's branch and open its pull request; the task stays in review."""
    ws = loop.ws
    pushed = git.run(["push", "--set-upstream", REMOTE, tree.branch], ws.root, check=False)
    if pushed.returncode != 0:
        last = (pushed.stderr.strip().splitlines() or ["git push failed"])[-1]
        loop.say(f"wait {task.id}: cannot push {tree.branch} to {REMOTE}: {last}")
        return False
    args = ["pr", "create", "--head", tree.branch, "--title", f"{task.title} ({task.id})"]
    if loop.base_branch:
        args += ["--base", loop.base_branch]
    try:
        out = gh.run([*args, "--body-file", "-"], ws.root, input=_handoff_body(loop, task, tree))
    except gh.GhError as exc:
        # Without gh the branch waits as under merge: manual: pushed, for a person to merge
        # or to open the pull request; the loop does not review it again each cycle.
        _gh_trouble(loop, exc.message)
        lifecycle.set_status(
            ws, task.id, "review", "await-merge", tree.branch, {"awaiting_merge": tree.branch}
        )
        loop._commit_state(task, f"await merge {task.id}")
        loop.say(
            f"await {task.id}: verify passed, handoff valid; {tree.branch} pushed, no pull "
            "request: open one or merge it by hand"
        )
        return True
    url = (out.strip().splitlines() or [""])[-1].strip()
    # The pull request exists from here on: it is recorded even when a comment cannot be posted.
    posted = _comment_findings(loop, task, url, findings)
    lifecycle.set_status(
        ws, task.id, "review", "pull-request", url, {"awaiting_merge": tree.branch, FIELD: url}
    )
    loop._commit_state(task, f"pull request for {task.id}")
    said = {None: "", True: "; the model review's findings in a comment"}.get(
        posted, "; the model review's findings could not be posted (see .agents/reviews/)"
    )
    loop.say(
        f"propose {task.id}: verify passed, handoff valid; pull request {url} (merge: pr){said}"
    )
    return True


def _comment_findings(loop: Loop, task: Task, url: str, findings: list[str]) -> bool | None:
    """Each findings file of the model review (`--review`) as a comment on the pull request:
    its text without the front matter, under a line naming the file. None when there was no
    model review, False when gh failed (said once)."""
    from agentmd.files import textfile
    from agentmd.files.frontmatter import split

    if not findings:
        return None
    try:
        for rel in findings:
            text = textfile.read_text(loop.ws.root / rel, rel)
            fm = split(text, rel) if text.startswith("---") else None
            body = text[fm.body_start :] if fm is not None else text
            head = f"agentmd's model review of `{task.id}` (`{rel}`):\n\n"
            gh.run(["pr", "comment", url, "--body-file", "-"], loop.ws.root, input=head + body)
    except gh.GhError as exc:
        _gh_trouble(loop, exc.message)
        return False
    except LocatedError as exc:
        loop.say(exc.problem.render())
        return False
    return True


def follow(loop: Loop, task: Task) -> bool:
    """A task waiting on its pull request: merged -> done; closed -> back with the closing
    comment as the problem; open -> it waits."""
    url = str(task.record.fields.get(FIELD))
    try:
        view = gh.run_json(["pr", "view", url, "--json", "state,comments"], loop.ws.root)
    except gh.GhError as exc:
        _gh_trouble(loop, exc.message)
        return False
    state = str((view or {}).get("state") or "").upper()
    if state not in ("MERGED", "CLOSED"):
        return False
    if loop.opt.dry_run:
        loop.say(
            f"would mark {task.id} {'done' if state == 'MERGED' else 'back'}: {url} {state.lower()}"
        )
        return True
    with loop.ws.lock():
        editor = loop.ws.edit(task.path)
        editor.delete(FIELD)
        loop.ws.save(task.path, editor.text)
    if state == "MERGED":
        return loop._done(task, f"pull request {url} was merged")
    comments = [str(c.get("body") or "").strip() for c in view.get("comments") or []]
    said = next((c for c in reversed(comments) if c), "") or "closed without a comment"
    return loop._send_back(task, f"pull request {url} was closed: {said}")


def sync_each_cycle(loop: Loop) -> None:
    """`--sync github`: status back to the issues, once per change of the plan's state."""
    from agentmd.github.sync import sync

    if loop.__dict__.get("_synced") == loop._seen:
        return
    try:
        sync(loop.ws, dry_run=loop.opt.dry_run, echo=loop.say)
    except gh.GhError as exc:
        _gh_trouble(loop, exc.message)
        return
    loop.__dict__["_synced"] = loop._seen
