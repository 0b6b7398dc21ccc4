"""`agentmd verify`: run a task's verify commands and record the outcome in the task."""

from __future__ import annotations

import click

from agentmd.cli.common import emit_json, json_option, open_workspace
from agentmd.errors import AgentmdError
from agentmd.tasks.verification import run_verify


@click.command()
@click.argument("task_id", metavar="ID")
@click.option("--no-record", is_flag=True, help="Run the commands but leave the task file alone.")
@json_option
def verify(task_id: str, no_record: bool, as_json: bool) -> int:
    """Run the task's verify commands at the repository root, every one of them, and record
    verified_commit, verified_at and verify_exit in the task. Exit 1 if any command fails."""
    ws = open_workspace()
    task = ws.readable_task(task_id)
    if not task.verify:
        raise AgentmdError(
            f"task '{task_id}' declares no verify commands",
            f"add them under 'verify:' in {ws.display(task.path)}",
            exit_code=1,
        )
    outcome = run_verify(
        ws, task, record=not no_record, note=lambda line: click.echo(line, err=True)
    )
    if as_json:
        emit_json({"verify": outcome.as_dict()})
        return 0 if outcome.passed else 1
    for result in outcome.results:
        click.echo(
            f"{'ok  ' if result.exit_code == 0 else 'FAIL'} "
            f"exit {result.exit_code}  {result.command}"
        )
        if result.exit_code != 0 and result.tail.strip():
            for line in result.tail.strip().splitlines()[-10:]:
                click.echo(f"     | {line}")
    where = f" at {outcome.commit[:12]}" if outcome.commit else ""
    verdict = (
        "passed"
        if outcome.passed
        else f"failed ({len(outcome.problems())} of {len(outcome.results)})"
    )
    recorded = "" if no_record else f"; recorded in {ws.display(task.path)}"
    click.echo(f"{task_id}: verify {verdict}{where}{recorded}")
    return 0 if outcome.passed else 1
