"""`agentmd handoff new` and `agentmd handoff check`."""

from __future__ import annotations

import click

from agentmd.cli.common import open_workspace
from agentmd.cli.findings import format_option, print_findings
from agentmd.workspace.records import HANDOFF_STATUSES


@click.group()
def handoff() -> None:
    """Write and validate handoffs: .agents/handoffs/<date>-<task>.md."""


@handoff.command("new")
@click.argument("task_id", metavar="ID")
@click.option(
    "--status",
    type=click.Choice(HANDOFF_STATUSES),
    help="How the session ended (default: done for a task in review or done, else partial).",
)
@click.option(
    "--run",
    is_flag=True,
    help="Run the verify commands now and write their exit codes and last lines.",
)
@click.option(
    "--base",
    metavar="COMMIT",
    help="The commit the work started from, for a task that was never claimed (a claim "
    "records it as the task's base).",
)
def new(task_id: str, status: str | None, run: bool, base: str | None) -> int:
    """Write a handoff for task ID, pre-filled from the task and git."""
    from agentmd.handoffs.draft import new_handoff

    ws = open_workspace()
    draft = new_handoff(ws, task_id, status=status, run=run, base=base)
    click.echo(f"created {ws.display(draft.rel)}")
    base = f"base {draft.base[:12]}" if draft.base else "no base"
    click.echo(f"  {len(draft.artifacts)} artifact(s) from git ({base})")
    if draft.outcome is not None:
        click.echo(
            f"  verify {'passed' if draft.outcome.passed else 'FAILED'}: "
            + ", ".join(f"exit {r.exit_code}" for r in draft.outcome.results)
        )
    click.echo(
        "Fill Summary, Completed, Remaining, Decisions, Gotchas, Lessons and Next action, "
        "then: agentmd handoff check"
    )
    return 0


@handoff.command("check")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "--lenient",
    is_flag=True,
    help="Files agentmd did not write: no front matter needed, findings are warnings.",
)
@format_option
def check(paths: tuple[str, ...], lenient: bool, output_format: str) -> int:
    """Validate handoffs: every one under .agents/handoffs/, or the PATHs given.

    A file outside .agents/handoffs/ is read leniently (another tool's headings map by synonyms).
    Completeness, concreteness (vague phrases, paths that do not exist) and truth (Artifacts
    against the diff since base, the task exists, base is an ancestor of HEAD). Exit 1 on any error.
    """
    from agentmd.handoffs.judge import WorkTree, check_foreign_file, check_handoff_file, locate
    from agentmd.workspace.folder import NotAWorkspace

    try:
        ws = open_workspace()
    except NotAWorkspace:
        if not paths:
            raise
        # Outside a workspace there is no task and no base to hold a file to: lenient only.
        problems = [p for path in paths for p in check_foreign_file(path)]
        return print_findings(problems, output_format, checked=len(paths))
    tree = WorkTree(ws)
    targets = list(paths) or [h.record.path for h in ws.handoffs]
    problems = (
        [p for p in ws.problems if p.path.startswith(ws.display("handoffs/"))] if not paths else []
    )
    for target in targets:
        own = not paths or locate(ws, target)[1].startswith(ws.display("handoffs/"))
        problems += check_handoff_file(ws, target, lenient=lenient or not own, tree=tree)
    tree.save()
    return print_findings(problems, output_format, checked=len(targets))
