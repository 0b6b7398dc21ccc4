"""Peer review of a finished task by a model: the task, its handoff and the budgeted diff
base..HEAD go out; located findings come back, are written to reviews/<date>-<id>.md, and the
blocking ones can become follow-up tasks."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from agentmd import AGENTS_DIR, git
from agentmd.api import findings_file
from agentmd.api.client import Client
from agentmd.api.findings_file import Finding, Review
from agentmd.errors import AgentmdError, NothingToDo
from agentmd.files import frontmatter
from agentmd.prompt import compiler, diff_budget
from agentmd.prompt.tokens import ESTIMATE
from agentmd.tasks import lifecycle
from agentmd.workspace import scaffold
from agentmd.workspace.folder import Workspace
from agentmd.workspace.records import Task

SEVERITIES = findings_file.SEVERITIES
MAX_TOKENS = 8192
TOOL_NAME = "report_review"

INSTRUCTIONS = """\
You are a senior engineer reviewing another engineer's finished task before it is marked done.
You get the project's goal and rules, the task (goal, acceptance criteria, verify commands,
scope), the handoff the engineer wrote, and the diff of the work (base..HEAD; very large hunks
may be summarised or left out, as the diff notes say).

Review the change against the task: does it meet every acceptance criterion, stay inside its
scope, follow the rules, and do what the handoff claims? Look for bugs, missing tests, broken
edge cases, and claims in the handoff the diff does not support.

Report through the report_review tool. Each finding names the file (a path relative to the
repository root, one that the diff touches or that exists) and the line in the new version,
says what is wrong in one or two sentences, and suggests the fix. Severity:
- blocking: the task must not be accepted until this is fixed (a bug, an unmet criterion, a
  claim that is false, a change outside the task's scope that breaks something);
- minor: worth fixing, but the task can be accepted;
- nit: style or naming.
Report no finding you are not sure of. No findings at all is a fine answer for good work."""

TOOL = {
    "name": TOOL_NAME,
    "description": "Report the findings of the review of the task's change.",
    "input_schema": {
        "type": "object",
        "properties": {
            "summary": {
                "type": "string",
                "description": "Two or three sentences: the verdict and why.",
            },
            "findings": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "severity": {"type": "string", "enum": list(SEVERITIES)},
                        "path": {
                            "type": "string",
                            "description": "File path relative to the repository root.",
                        },
                        "line": {
                            "type": "integer",
                            "minimum": 1,
                            "description": "Line in the new version of the file.",
                        },
                        "message": {"type": "string", "description": "What is wrong."},
                        "suggestion": {"type": "string", "description": "How to fix it."},
                    },
                    "required": ["severity", "path", "line", "message"],
                },
            },
        },
        "required": ["summary", "findings"],
    },
}


# -- the review ------------------------------------------------------------------------------


def review(
    ws: Workspace,
    task: Task,
    *,
    base: str | None = None,
    head: str | None = None,
    budget: int | None = None,
    client: Client | None = None,
    records: Workspace | None = None,
) -> Review:
    """Ask the model to review the change base..head (default: the task's base..HEAD) and write
    the findings file and the log line in `records` (default `ws`: the loop reviews in a task's
    worktree and keeps the record in the repository, where the worktree's removal spares it)."""
    client = client or Client.for_workspace(ws)
    base = base or task.base
    if not base:
        raise AgentmdError(
            f"task '{task.id}' has no base commit to diff from (it was never claimed)",
            "pass --base REV: the commit the work started from",
        )
    base = _commit(ws, base)
    head_name = head or "HEAD"
    head = _commit(ws, head_name)
    diff = git.out(
        [
            "diff",
            "--no-color",
            "--no-ext-diff",
            "-M",
            "--relative",
            f"{base}..{head}",
            "--",
            ".",
            f":(exclude){AGENTS_DIR}",
        ],
        ws.root,
    )
    if not diff.strip():
        raise NothingToDo(
            "nothing to review: no change outside "
            f"{AGENTS_DIR}/ between {base[:12]} and {head_name}"
        )
    system, task_text, handoff_text = _context(ws, task)
    budget = budget or ws.settings.prompt_budget
    rest = ESTIMATE.count("\n\n".join([*system, task_text, handoff_text]))
    fitted = diff_budget.fit(diff, max(budget - rest, 0))
    prompt_text = "\n\n".join(
        [
            task_text,
            handoff_text,
            "## The change (git diff base..HEAD)",
            f"```diff\n{fitted.text}```",
            _left_out(fitted),
        ]
    ).strip()
    changed = set(fitted.files)
    answer, problems = client.ask(
        system=system,
        prompt=prompt_text,
        tool=TOOL,
        validate=lambda data: check_answer(data, ws.root, changed),
        max_tokens=MAX_TOKENS,
    )
    if problems:
        raise AgentmdError(
            "the model's review could not be used, even when asked again: " + "; ".join(problems),
            "run agentmd review again, or try another `model:` in .agents/plan.md",
        )
    findings = [_finding(item) for item in answer["findings"]]
    findings.sort(key=lambda f: (SEVERITIES.index(f.severity), f.path, f.line))
    summary = str(answer.get("summary") or "").strip()
    draft = Review(task, "", summary, findings, base, head, client.model, fitted)
    records = records or ws
    result = replace(draft, path=findings_file.write(records, draft))
    lifecycle.log(
        records,
        "review",
        task.id,
        f"{result.verdict}, {len(result.blocking)} blocking of {len(findings)} in {result.path}",
    )
    return result


def review_for_loop(
    ws: Workspace, task: Task, head: str | None = None, records: Workspace | None = None
) -> list[str]:
    """The blocking findings, one `path:line: message` each; empty when the review passes.

    The change reviewed is the task's base..`head` (default HEAD; the loop may name the
    branch of the task's worktree); the findings file and log line go to `records` (default
    `ws`). A task with no change outside .agents/ gets one blocking finding saying so (no API
    call). Raises AgentmdError when the review cannot be done: no key, no SDK, no base, the API
    failing.
    """
    try:
        result = review(ws, task, head=head, records=records)
    except NothingToDo as exc:
        return [f"{ws.display(task.path)}:1: {exc.message}"]
    return [f.located() for f in result.blocking]


def check_answer(data: dict, root: Path, changed: set[str]) -> list[str]:
    """Every way the model's answer falls short of the tool's schema and of the repository."""
    problems = []
    if not isinstance(data.get("summary", ""), str):
        problems.append("summary must be a string")
    findings = data.get("findings")
    if not isinstance(findings, list):
        return [*problems, "findings must be a list (empty when there is nothing to report)"]
    for n, item in enumerate(findings, 1):
        where = f"finding {n}"
        if not isinstance(item, dict):
            problems.append(f"{where} must be an object")
            continue
        if item.get("severity") not in SEVERITIES:
            problems.append(
                f"{where}: severity must be one of "
                f"{', '.join(SEVERITIES)}, not {item.get('severity')!r}"
            )
        line = item.get("line")
        if isinstance(line, bool) or not isinstance(line, int) or line < 1:
            problems.append(f"{where}: line must be a line number (1 or more), not {line!r}")
        message = item.get("message")
        if not isinstance(message, str) or not message.strip():
            problems.append(f"{where}: message must say what is wrong")
        if not isinstance(item.get("suggestion", ""), str):
            problems.append(f"{where}: suggestion must be a string")
        path = item.get("path")
        if not isinstance(path, str) or not path.strip():
            problems.append(f"{where}: path must name a file")
        elif os.path.isabs(path) or ".." in Path(path).parts:
            problems.append(f"{where}: path {path!r} is not inside the repository")
        elif path.strip().removeprefix("./") not in changed and not (root / path).is_file():
            problems.append(f"{where}: path {path!r} is neither in the diff nor in the repository")
    return problems


def _finding(item: dict) -> Finding:
    return Finding(
        item["severity"],
        item["path"].strip().removeprefix("./"),
        item["line"],
        " ".join(item["message"].split()),
        " ".join(str(item.get("suggestion") or "").split()),
    )


def _commit(ws: Workspace, rev: str) -> str:
    result = git.run(
        ["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"], ws.root, check=False
    )
    if result.returncode != 0:
        raise AgentmdError(
            f"'{rev}' is not a commit in this repository", "name a commit, tag or branch"
        )
    return result.stdout.strip()


def _context(ws: Workspace, task: Task) -> tuple[list[str], str, str]:
    """The stable prefix (instructions, plan, rules), the task, and its latest handoff."""
    items = compiler.gather(ws, task)
    plan = "\n\n".join(i.text for i in items if i.part in ("plan", "constraints"))
    rules = "\n\n".join(i.text for i in items if i.part == "rules")
    task_text = next(i.text for i in items if i.part == "task").replace(
        "## Your task\n", f"## The task under review: {task.title}\n", 1
    )
    latest = ws.latest_handoffs.get(task.id)
    if latest is not None:
        handoff_text = (
            f"## The handoff the engineer wrote (`{AGENTS_DIR}/{latest.path}`)\n\n"
            f"{ws.read(latest.path).body.strip()}"
        )
    else:
        handoff_text = "## The handoff the engineer wrote\n\nNone was written."
    return [INSTRUCTIONS, plan, rules], task_text, handoff_text


def _left_out(fitted: diff_budget.BudgetedDiff) -> str:
    if fitted.complete:
        return ""
    lines = ["The diff was cut to fit the budget:"]
    lines += [f"- summarised: {name}" for name in fitted.summarised]
    lines += [f"- left out: {name}" for name in fitted.dropped]
    return "\n".join(lines)


# -- follow-up tasks -------------------------------------------------------------------------


def file_tasks(ws: Workspace, result: Review) -> list[str]:
    """One task per blocking finding: high priority, no dependencies, scoped to the file."""
    ids = []
    for finding in result.blocking:
        title = f"Fix review finding: {finding.message}"
        title = title if len(title) <= 80 else title[:77].rstrip() + "..."
        is_file = (ws.root / finding.path).is_file()

        def render_followup(values: dict, finding: Finding = finding) -> str:
            return _followup_text(ws, values, finding, result)

        ids.append(
            lifecycle.add_task(
                ws,
                title,
                priority="high",
                inputs=(finding.path,) if is_file else (),
                outputs=(finding.path,),
                verify=result.task.verify,
                render=render_followup,
            )
        )
    return ids


def _followup_text(ws: Workspace, values: dict, finding: Finding, result: Review) -> str:
    text = scaffold.render_task(ws.agents, values)
    fm = frontmatter.split(text, "task template")
    head = text[: fm.body_start] if fm else text + "\n"
    suggestion = f"\n\nSuggested fix: {finding.suggestion}" if finding.suggestion else ""
    return (
        f"{head}## Goal\n\n"
        f"Fix what the review of `{result.task.id}` found at `{finding.path}:{finding.line}`: "
        f"{finding.message}{suggestion}\n\n"
        "## Acceptance criteria\n\n"
        f"- [ ] The finding at `{finding.path}:{finding.line}` is resolved\n"
        f"- [ ] The verify commands of `{result.task.id}` still pass\n\n"
        f"## Notes\n\nFrom `{AGENTS_DIR}/{result.path}`.\n"
    )
