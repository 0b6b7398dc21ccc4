"""`agentmd next`: the next ready task as one self-contained, budgeted prompt."""

from __future__ import annotations

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
from agentmd.errors import LocatedError, NothingToDo, Problem
from agentmd.workspace import memo
from agentmd.workspace.folder import Workspace

if TYPE_CHECKING:
    from agentmd.tasks import graph, parallel
    from agentmd.workspace.records import Task


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
    if parallel is not None:
        return _parallel(
            ws, parallel, explain, do_claim, push, owner, budget, token_counter, as_json
        )
    if push:
        return _claim_pushed(ws, owner, budget, token_counter, as_json)
    reusable = not do_claim and token_counter == "estimate"
    # Every option that changes what is printed is part of the key.
    memo_key = memo.key("next", budget, as_json, explain)
    if reusable and (hit := memo.recall(ws, memo_key)) is not None:
        click.echo(hit[1], nl=False, err=True)
        click.echo(hit[0], nl=False)
        return 0
    from agentmd.checks import readiness
    from agentmd.prompt import (
        compiler,
        tokens,  # not needed when the output is remembered
    )
    from agentmd.tasks import graph

    problems = list(report_unreadable(ws))
    unreadable = unreadable_text(problems)
    errors = readiness.reasons(ws)
    if explain:
        return _explain(ws, graph.analyse(ws.tasks, errors), as_json)
    # In `next` order, the first task check finds no error in: the others are not asked about.
    plan = graph.analyse(ws.tasks)
    counter = tokens.counter_for(token_counter, ws)

    def first_sound(ready: list[graph.Candidate]) -> Task | None:
        return next((c.task for c in ready if not errors.get(c.task.id)), None)

    if first_sound(plan.ready) is None:
        raise NothingToDo(_nothing_ready(ws, graph.analyse(ws.tasks, errors)))
    if do_claim:
        compiled: list[compiler.Compiled] = []

        def choose(ready: list[graph.Candidate]):
            # Compile before claiming: a task too large to delegate is never claimed.
            task = first_sound(ready)
            if task is None:
                return None
            compiled.append(compiler.compile_prompt(ws, task, budget, counter, mode="claimed"))
            return task

        from agentmd.tasks import lifecycle  # only claims need it (and its imports)

        task = lifecycle.claim_next(ws, owner or lifecycle.default_owner(), choose)
        if task is None:
            raise NothingToDo(_nothing_ready(ws, graph.analyse(ws.tasks, errors)))
        result = compiled[0]
    else:
        chosen = first_sound(plan.ready)
        assert chosen is not None
        result = compiler.compile_prompt(ws, chosen, budget, counter)
    for warning in result.warnings:
        click.echo(warning.render(), err=True)
    problems += result.warnings + _unfilled(ws, result.task)
    # With exact counts, say how far the estimate was (the prompt's count is cached by now).
    comparison = counter.compare(result.prompt) if hasattr(counter, "compare") else None
    data = {**result.as_json(), **({"estimate": comparison.as_json()} if comparison else {})}
    output = json_text(data) if as_json else result.prompt
    if reusable:
        told = "".join(p.render() + "\n" for p in problems[len(ws.problems) :])
        memo.remember(ws, memo_key, output, unreadable + told)
    click.echo(output, nl=False)
    if comparison and not as_json:
        click.echo(
            f"agentmd: {comparison.exact:,} tokens, exact ({comparison.describe()})", err=True
        )
    return 0


def _unfilled(ws: Workspace, task: Task) -> list[Problem]:
    """The task's sections that still hold the template's text, named on stderr."""
    from agentmd.workspace.scaffold import template_prompts, unfilled

    try:
        found = unfilled(template_prompts(ws.agents), ws.read(task.path))
    except LocatedError:
        return []  # compile_prompt read it a moment ago; a file that changed since is not our finding
    for problem in found:
        click.echo(problem.render(), err=True)
    return found


def _nothing_ready(ws: Workspace, plan: graph.Plan) -> str:
    counts: dict[str, int] = {}
    for task in ws.tasks.values():
        counts[task.status] = counts.get(task.status, 0) + 1
    if not ws.tasks:
        return "nothing is ready: there are no tasks ('agentmd add TITLE' writes one)"
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    blocked = (
        f"; {len(plan.blocked)} todo blocked ('agentmd next --explain' says why)"
        if plan.blocked
        else ""
    )
    return f"nothing is ready ({summary}){blocked}"


def _explain(ws: Workspace, plan: graph.Plan, as_json: bool) -> int:
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
                    {"id": tid, "reasons": reasons} for tid, reasons in sorted(plan.blocked.items())
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
        click.echo(_nothing_ready(ws, plan))
    if plan.blocked:
        click.echo(f"blocked ({len(plan.blocked)}):")
        for tid, reasons in sorted(plan.blocked.items()):
            click.echo(f"  {tid}: " + "; ".join(reasons))
    for cycle in plan.cycles:
        click.echo("cycle: " + " -> ".join([*cycle, cycle[0]]))
    return 0 if plan.ready else 1


def _claim_pushed(
    ws: Workspace, owner: str | None, budget: int | None, token_counter: str, as_json: bool
) -> int:
    from agentmd.checks import readiness
    from agentmd.prompt import compiler, tokens
    from agentmd.tasks import graph, lifecycle, remote_claims

    report_unreadable(ws)
    counter = tokens.counter_for(token_counter, ws)
    compiled: list[compiler.Compiled] = []

    def choose(fresh: Workspace) -> list[Task]:
        compiled.clear()
        sound = readiness.reasons(fresh)
        ready = [c.task for c in graph.analyse(fresh.tasks).ready if not sound.get(c.task.id)]
        if not ready:
            return []
        compiled.append(compiler.compile_prompt(fresh, ready[0], budget, counter, mode="claimed"))
        return [ready[0]]

    if not remote_claims.claim_and_push(ws, owner or lifecycle.default_owner(), choose):
        raise NothingToDo(_nothing_ready(ws, graph.analyse(ws.tasks, readiness.reasons(ws))))
    click.echo(json_text(compiled[0].as_json()) if as_json else compiled[0].prompt, nl=False)
    return 0


def _parallel(
    ws: Workspace,
    limit: int,
    explain: bool,
    do_claim: bool,
    push: bool,
    owner: str | None,
    budget: int | None,
    token_counter: str,
    as_json: bool,
) -> int:
    from agentmd import git

    # The batch depends on the files and on git history (coupling): HEAD is part of the key.
    reusable = not do_claim and token_counter == "estimate"
    memo_key = memo.key("next --parallel", limit, budget, as_json, explain, git.head(ws.root))
    if reusable and (hit := memo.recall(ws, memo_key)) is not None:
        click.echo(hit[1], nl=False, err=True)
        click.echo(hit[0], nl=False)
        return 0  # only successful runs are remembered
    from agentmd.checks import readiness
    from agentmd.prompt import compiler, tokens
    from agentmd.tasks import graph, lifecycle, parallel, remote_claims

    problems = report_unreadable(ws)
    errors = unreadable_text(problems)
    broken = readiness.reasons(ws)
    if explain:
        lines, code = _explain_parallel(ws, parallel.pick(ws, limit, None, broken), limit, as_json)
        if code == 0:
            memo.remember(ws, memo_key, lines, errors)
        click.echo(lines, nl=False)
        return code
    counter = tokens.counter_for(token_counter, ws)
    compiled: dict[str, compiler.Compiled] = {}

    def accept(task: Task) -> str | None:
        # Compile before claiming: a task too large to delegate is never claimed.
        try:
            mode = "claimed" if do_claim else None
            compiled[task.id] = compiler.compile_prompt(ws, task, budget, counter, mode=mode)
        except compiler.TooLarge as exc:
            return exc.message
        return None

    who = owner or lifecycle.default_owner()
    if push:

        def choose(fresh: Workspace) -> list[Task]:
            compiled.clear()
            return parallel.pick(fresh, limit, accept, readiness.reasons(fresh)).chosen

        chosen = remote_claims.claim_and_push(ws, who, choose)
    elif do_claim:
        chosen = parallel.claim_batch(ws, who, limit, accept, broken).chosen
    else:
        chosen = parallel.pick(ws, limit, accept, broken).chosen
    if not chosen:
        raise NothingToDo(_nothing_ready(ws, graph.analyse(ws.tasks, broken)))
    results = [compiled[task.id] for task in chosen]
    if as_json:
        output = json_text({"tasks": [result.as_json() for result in results]})
    else:
        parts = []
        for number, result in enumerate(results, 1):
            if len(results) > 1:
                parts.append(
                    f"{'' if number == 1 else chr(10)}==> task {number} of {len(results)}: {result.task.id} <==\n\n"
                )
            parts.append(result.prompt)
        output = "".join(parts)
    if reusable:
        memo.remember(ws, memo_key, output, errors)
    click.echo(output, nl=False)
    return 0


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
        lines.append(_nothing_ready(ws, graph.analyse(ws.tasks)))
    if selection.held:
        lines.append(f"held back ({len(selection.held)}):")
        lines += [f"  {held.render()}" for held in selection.held]
    return "".join(line + "\n" for line in lines), code
