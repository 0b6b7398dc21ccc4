"""`handoff new`: a handoff pre-filled from the task and git, the rest left as short prompts."""

from __future__ import annotations

import string
from dataclasses import dataclass

from agentmd import clock, git
from agentmd.errors import AgentmdError
from agentmd.files import textfile
from agentmd.files.edit import render_scalar
from agentmd.handoffs.judge import WorkTree
from agentmd.tasks.verification import VerifyOutcome, run_verify
from agentmd.workspace import scaffold
from agentmd.workspace.folder import Workspace
from agentmd.workspace.records import HANDOFF_STATUSES, Task


@dataclass(frozen=True)
class Draft:
    rel: str  # relative to .agents/
    base: str
    artifacts: tuple[str, ...]
    outcome: VerifyOutcome | None


def default_status(task: Task) -> str:
    return "done" if task.status in ("review", "done") else "partial"


def new_handoff(
    ws: Workspace,
    task_id: str,
    *,
    status: str | None = None,
    run: bool = False,
    base: str | None = None,
) -> Draft:
    """Write handoffs/<date>-<id>.md (a later one the same day: <date>T<time>-<id>.md, so that
    the newest sorts last). The base is the task's (its claim recorded it) or `base`; without
    either, no guess: HEAD after the work would make the diff, and so every check of it, empty."""
    task = ws.readable_task(task_id)  # a task whose fields are unknown: nothing to draft from
    status = status or default_status(task)
    if status not in HANDOFF_STATUSES:
        raise AgentmdError(f"status must be one of {', '.join(HANDOFF_STATUSES)}, not '{status}'")
    base = base_commit(ws, task, base)
    changes = WorkTree(ws).changes(base) if base else None
    artifacts = tuple(sorted(changes.files)) if changes else ()
    outcome = run_verify(ws, task, record=True) if run and task.verify else None
    if outcome is not None:
        task = ws.task(task_id)
    text = string.Template(scaffold.template_text(ws.agents, "handoff.md")).safe_substitute(
        task=render_scalar(task.id),
        status=status,
        base=render_scalar(base) if base else "",
        artifacts=_artifacts(artifacts, changes.deleted if changes else frozenset()),
        verification=_verification(task, outcome),
    )
    moment = clock.now()
    names = [
        f"handoffs/{moment.date().isoformat()}-{task.id}.md",
        f"handoffs/{moment.strftime('%Y-%m-%dT%H%M%S')}-{task.id}.md",
    ]
    for rel in names:
        if textfile.create_exclusive(ws.agents / rel, text):
            ws.refresh()
            return Draft(rel, base, artifacts, outcome)
    raise AgentmdError(
        f"{ws.display(names[-1])} exists already", "wait a second, or edit the handoff there is"
    )


def base_commit(ws: Workspace, task: Task, given: str | None) -> str:
    """The commit the handoff's diff starts from: `given` (checked to be a commit), else the
    task's base; neither is an error saying how to find one."""
    if given:
        found = git.run(
            ["rev-parse", "--verify", "--quiet", f"{given}^{{commit}}"], ws.root, check=False
        )
        if given.startswith("-") or found.returncode:
            raise AgentmdError(
                f"--base '{given}' is not a commit in this repository",
                "name the commit the work started from: 'git log --oneline' lists them",
            )
        return found.stdout.strip()
    if task.base:
        return task.base
    if git.head(ws.root) is None:
        return ""  # no commit yet: there is nothing to start from
    raise AgentmdError(
        f"task '{task.id}' has no base: it was never claimed, so nothing records the commit its "
        "work started from",
        "pass --base COMMIT, the last commit before the work ('git log --oneline' lists them; "
        f"'git log --oneline -- .agents/tasks/{task.id}.md' shows when the task was added); "
        f"next time claim first: agentmd claim {task.id}",
    )


def _artifacts(files: tuple[str, ...], deleted: frozenset[str]) -> str:
    if not files:
        return "None"
    return "\n".join(
        f"- {_entry(path)}" + (" (deleted)" if path in deleted else "") for path in files
    )


def _entry(path: str) -> str:
    """A path as an Artifacts entry: in backticks when it holds a space (or a backtick), so
    that the whole of it is one entry."""
    if "`" in path:
        return f"`` {path} ``"
    return f"`{path}`" if any(c.isspace() for c in path) else path


def _verification(task: Task, outcome: VerifyOutcome | None) -> str:
    if not task.verify:
        return "No verify command is declared: say how the work was checked, and with what result."
    if outcome is not None:
        blocks = []
        for result in outcome.results:
            block = f"- `{result.command}`: exit {result.exit_code}" + (
                " (timed out)" if result.timed_out else ""
            )
            if result.tail.strip():
                tail = "\n".join(f"  {line}" for line in result.tail.strip().splitlines()[-5:])
                block += f"\n\n  ```text\n{tail}\n  ```\n"
            blocks.append(block)
        commit = f" at {outcome.commit[:12]}" if outcome.commit else ""
        body = "\n".join(blocks).rstrip("\n")
        return f"{body}\n\nRun by `agentmd handoff new --run`{commit}, {outcome.at}."
    fields = task.record.fields
    exits = fields.get("verify_exit")
    if isinstance(exits, list) and len(exits) == len(task.verify) and fields.get("verified_at"):
        commit = str(fields.get("verified_commit") or "")[:12]
        when = f" (agentmd verify{' at ' + commit if commit else ''}, {fields.get('verified_at')})"
        return "\n".join(
            f"- `{cmd}`: exit {code}{when}" for cmd, code in zip(task.verify, exits, strict=False)
        )
    return "\n".join(f"- `{cmd}`: not run yet (agentmd verify {task.id})" for cmd in task.verify)
