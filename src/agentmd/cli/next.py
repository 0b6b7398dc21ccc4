"""`agentmd next`: the next ready task as one self-contained, budgeted prompt."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from agentmd import memo
from agentmd.cli.common import (
    emit_json,
    json_option,
    json_text,
    open_workspace,
    report_unreadable,
    tokens_option,
)
from agentmd.errors import NothingToDo
from agentmd.workspace import Workspace

if TYPE_CHECKING:
    from agentmd import graph


@click.command("next")
@click.option("--explain", is_flag=True, help="Rank the ready tasks with reasons, and say what blocks the rest.")
@click.option("--claim", "do_claim", is_flag=True, help="Claim the task it prints, atomically.")
@click.option("--as", "owner", metavar="NAME", help="Who claims (default: $AGENTMD_AGENT or user@host).")
@click.option("--budget", type=click.IntRange(min=1), metavar="TOKENS", help="Token budget (default: plan.md's).")
@tokens_option
@json_option
def next_task(
    explain: bool, do_claim: bool, owner: str | None, budget: int | None, token_counter: str, as_json: bool
) -> int:
    """Print the prompt for the next ready task.

    Ready: status todo and every dependency done. Order: priority, then how many tasks it
    unblocks, then age, then id. Exit 1 when nothing is ready or the task is too large.
    """
    ws = open_workspace()
    reusable = not do_claim and token_counter == "estimate"
    memo_key = memo.key("next", budget, as_json)
    if reusable and (hit := memo.recall(ws, memo_key)) is not None:
        click.echo(hit[1], nl=False, err=True)
        click.echo(hit[0], nl=False)
        return 0
    from agentmd import graph, prompt, tokens  # not needed when the output is remembered

    problems = report_unreadable(ws)
    plan = graph.analyse(ws.tasks)
    if explain:
        return _explain(ws, plan, as_json)
    counter = tokens.counter_for(token_counter, ws)
    if not plan.ready:
        raise NothingToDo(_nothing_ready(ws, plan))
    if do_claim:
        compiled: list[prompt.Compiled] = []

        def choose(ready: list[graph.Candidate]):
            # Compile before claiming: a task too large to delegate is never claimed.
            if not ready:
                return None
            compiled.append(prompt.compile_prompt(ws, ready[0].task, budget, counter))
            return ready[0].task

        from agentmd import lifecycle  # only claims need it (and its imports)

        task = lifecycle.claim_next(ws, owner or lifecycle.default_owner(), choose)
        if task is None:
            raise NothingToDo(_nothing_ready(ws, graph.analyse(ws.tasks)))
        result = compiled[0]
    else:
        result = prompt.compile_prompt(ws, plan.ready[0].task, budget, counter)
    # With exact counts, say how far the estimate was (the prompt's count is cached by now).
    comparison = counter.compare(result.prompt) if hasattr(counter, "compare") else None
    data = {**result.as_json(), **({"estimate": comparison.as_json()} if comparison else {})}
    output = json_text(data) if as_json else result.prompt
    if reusable:
        memo.remember(ws, memo_key, output, "".join(p.render() + "\n" for p in problems))
    click.echo(output, nl=False)
    if comparison and not as_json:
        click.echo(f"agentmd: {comparison.exact:,} tokens, exact ({comparison.describe()})", err=True)
    return 0


def _nothing_ready(ws: Workspace, plan: graph.Plan) -> str:
    counts: dict[str, int] = {}
    for task in ws.tasks.values():
        counts[task.status] = counts.get(task.status, 0) + 1
    if not ws.tasks:
        return "nothing is ready: there are no tasks ('agentmd add TITLE' writes one)"
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    blocked = f"; {len(plan.blocked)} todo blocked ('agentmd next --explain' says why)" if plan.blocked else ""
    return f"nothing is ready ({summary}){blocked}"


def _explain(ws: Workspace, plan: graph.Plan, as_json: bool) -> int:
    if as_json:
        emit_json(
            {
                "ready": [
                    {"id": c.task.id, "rank": n, "priority": c.task.priority, "unblocks": c.unblocks,
                     "created": c.task.created or None, "reason": c.reason()}
                    for n, c in enumerate(plan.ready, 1)
                ],
                "blocked": [{"id": tid, "reasons": reasons} for tid, reasons in sorted(plan.blocked.items())],
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
        click.echo(_nothing_ready(ws, plan))
    if plan.blocked:
        click.echo(f"blocked ({len(plan.blocked)}):")
        for tid, reasons in sorted(plan.blocked.items()):
            click.echo(f"  {tid}: " + "; ".join(reasons))
    for cycle in plan.cycles:
        click.echo("cycle: " + " -> ".join([*cycle, cycle[0]]))
    return 0 if plan.ready else 1
