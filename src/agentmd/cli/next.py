"""`agentmd next`: the next ready task as one self-contained, budgeted prompt."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

import click

from agentmd.cli.common import (
    emit_json,
    json_option,
    json_text,
    open_workspace,
    report_unreadable,
    tokens_option,
    unreadable_text,
)
from agentmd.prompt import next as core
from agentmd.workspace.folder import Workspace

if TYPE_CHECKING:
    from agentmd.prompt.compiler import Compiled
    from agentmd.tasks import graph, parallel


@click.command("next")
@click.option(
    "--explain",
    is_flag=True,
    help="Rank the ready tasks with reasons, and say what blocks the rest.",
)
@click.option("--claim", "do_claim", is_flag=True, help="Claim the task it prints, atomically.")
@click.option(
    "--as", "owner", metavar="NAME", help="Who claims (default: $AGENTMD_AGENT or user@host)."
)
@click.option(
    "--budget",
    type=click.IntRange(min=1),
    metavar="TOKENS",
    help="Token budget (default: plan.md's).",
)
@click.option(
    "--parallel",
    type=click.IntRange(min=1),
    metavar="N",
    help="Up to N ready tasks that can run side by side: outputs that do not overlap, files "
    "that do not change together in git history, nothing in progress touched.",
)
@click.option(
    "--push",
    is_flag=True,
    help="With --claim: commit the claim (the task file only) and push it; if another clone "
    "pushed first, fetch, rebase and claim the next ready task.",
)
@tokens_option
@json_option
def next_task(
    explain: bool,
    do_claim: bool,
    owner: str | None,
    budget: int | None,
    parallel: int | None,
    push: bool,
    token_counter: str,
    as_json: bool,
) -> int:
    """Print the prompt for the next ready task.

    Ready: status todo and every dependency done. Order: priority, then how many tasks it
    unblocks, then age, then id. Exit 1 when nothing is ready or the task is too large.
    """
    if push and not do_claim:
        raise click.UsageError("--push pushes a claim: use it with --claim")
    ws = open_workspace()
    ws.while_reading = core.prepare
    ws.once_tasks_read = partial(core.rank_ahead, ws)
    ask = core.Ask(
        budget=budget, counter=token_counter, claim=do_claim, owner=owner, push=push,
        limit=parallel,
    )  # fmt: skip
    if parallel is not None:
        return _side_by_side(ws, ask, parallel, explain, as_json)
    key = ask.memo_key(ws, as_json, explain)
    if (hit := core.recall(ws, key)) is not None:
        click.echo(hit[1], nl=False, err=True)
        click.echo(hit[0], nl=False)
        return 0
    problems = report_unreadable(ws)
    if explain and not push:
        from agentmd.checks import readiness
        from agentmd.tasks import graph

        return _explain(ws, graph.analyse(ws.tasks, readiness.reasons(ws)), as_json)
    found = core.one(ws, ask)
    for problem in found.notes:
        click.echo(problem.render(), err=True)
    comparison = found.comparison
    data = found.compiled.as_json()
    if comparison:
        data["estimate"] = comparison.as_json()
    output = json_text(data) if as_json else found.compiled.prompt
    core.remember(ws, key, output, found.notes, unreadable_text(problems))
    click.echo(output, nl=False)
    if comparison and not as_json:
        click.echo(
            f"agentmd: {comparison.exact:,} tokens, exact ({comparison.describe()})", err=True
        )
    return 0


def _side_by_side(ws: Workspace, ask: core.Ask, limit: int, explain: bool, as_json: bool) -> int:
    key = ask.memo_key(ws, as_json, explain)
    if (hit := core.recall_batch(ws, key)) is not None:
        click.echo(hit[1], nl=False, err=True)
        click.echo(hit[0], nl=False)
        return 0  # only successful runs are remembered
    problems = report_unreadable(ws)
    if explain:
        selection = core.selection(ws, limit)
        lines, code = _explain_parallel(ws, selection, limit, as_json)
        if code == 0:
            core.remember_batch(ws, key, lines, unreadable_text(problems), selection.chosen)
        click.echo(lines, nl=False)
        return code
    results = core.batch(ws, ask)
    output = json_text({"tasks": [r.as_json() for r in results]}) if as_json else _joined(results)
    chosen = [r.task for r in results]
    core.remember_batch(ws, key, output, unreadable_text(problems), chosen)
    click.echo(output, nl=False)
    return 0


def _joined(results: list[Compiled]) -> str:
    if len(results) == 1:
        return results[0].prompt
    parts = []
    for number, result in enumerate(results, 1):
        parts.append(
            f"{'' if number == 1 else chr(10)}==> task {number} "
            f"of {len(results)}: {result.task.id} <==\n\n"
        )
        parts.append(result.prompt)
    return "".join(parts)


def _explain(ws: Workspace, plan: graph.Plan, as_json: bool) -> int:
    from agentmd.tasks import graph

    blocked = plan.blocked | graph.unknown_status(ws.tasks, ws.settings.statuses)
    if as_json:
        emit_json(
            {
                "ready": [
                    {
                        "id": c.task.id,
                        "rank": n,
                        "priority": c.task.priority,
                        "unblocks": c.unblocks,
                        "created": c.task.created or None,
                        "reason": c.reason(),
                    }
                    for n, c in enumerate(plan.ready, 1)
                ],
                "blocked": [
                    {"id": tid, "reasons": reasons} for tid, reasons in sorted(blocked.items())
                ],
                "cycles": plan.cycles,
            }
        )
        return 0 if plan.ready else 1
    if plan.ready:
        click.echo(f"ready ({len(plan.ready)}), in the order `next` takes them:")
        width = max(len(c.task.id) for c in plan.ready)
        for n, c in enumerate(plan.ready, 1):
            click.echo(f"  {n}. {c.task.id:<{width}}  {c.reason()}")
    else:
        click.echo(core.nothing_ready_message(ws, plan))
    if blocked:
        click.echo(f"blocked ({len(blocked)}):")
        for tid, reasons in sorted(blocked.items()):
            click.echo(f"  {tid}: " + "; ".join(reasons))
    for cycle in plan.cycles:
        click.echo("cycle: " + " -> ".join([*cycle, cycle[0]]))
    return 0 if plan.ready else 1


def _explain_parallel(
    ws: Workspace, selection: parallel.Selection, limit: int, as_json: bool
) -> tuple[str, int]:
    from agentmd.tasks import graph, parallel

    busy = parallel.busy_tasks(ws.tasks)
    code = 0 if selection.chosen else 1
    if as_json:
        data = {
            "limit": limit,
            "chosen": [task.id for task in selection.chosen],
            "held": [
                {"id": h.task.id, "because": h.because or None, "reason": h.reason}
                for h in selection.held
            ],
            "in_progress": [task.id for task in busy],
        }
        return json_text(data), code
    lines = []
    if busy:
        lines.append("in progress: " + ", ".join(f"{t.id} ({t.status})" for t in busy))
    if selection.chosen:
        lines.append(f"side by side ({len(selection.chosen)} of at most {limit}):")
        for number, task in enumerate(selection.chosen, 1):
            lines.append(
                f"  {number}. {task.id}  outputs: " + (", ".join(task.outputs) or "none declared")
            )
    else:
        lines.append(core.nothing_ready_message(ws, graph.analyse(ws.tasks)))
    if selection.held:
        lines.append(f"held back ({len(selection.held)}):")
        lines += [f"  {held.render()}" for held in selection.held]
    return "".join(line + "\n" for line in lines), code
