"""`agentmd lessons`, `lessons adopt` and `lessons dismiss`."""

from __future__ import annotations

import click

from agentmd.cli.common import emit_json, json_option, open_workspace


@click.group(invoke_without_command=True)
@json_option
@click.pass_context
def lessons(ctx: click.Context, as_json: bool) -> int | None:
    """The lessons handoffs recorded under ## Lessons and nobody adopted or dismissed yet,
    newest first, each with its handoff, its task and the files that task changed.

    A person decides what becomes a rule: `lessons adopt REF --as gotcha|decision|rule` writes
    it, `lessons dismiss REF --reason` sets it aside; either way it is not offered again.
    """
    if ctx.invoked_subcommand is not None:
        return None
    from agentmd.lessons.found import new_lessons

    ws = open_workspace()
    found = new_lessons(ws)
    if as_json:
        emit_json(
            {
                "lessons": [
                    {
                        "ref": lesson.ref,
                        "handoff": ws.display(lesson.handoff),
                        "line": lesson.line,
                        "task": lesson.task or None,
                        "files": list(lesson.files),
                        "text": lesson.text,
                    }
                    for lesson in found
                ]
            }
        )
        return 0
    if not found:
        click.echo("no new lessons")
        return 0
    for lesson in found:
        task = f"task {lesson.task}, " if lesson.task else ""
        click.echo(f"{lesson.ref}  ({task}{ws.display(lesson.handoff)}:{lesson.line})")
        if lesson.files:
            click.echo(f"  files: {', '.join(lesson.files)}")
        click.echo(f"  {lesson.text}")
    click.echo("\nadopt: agentmd lessons adopt REF --as gotcha|decision|rule")
    return 0


@lessons.command("adopt")
@click.argument("ref", metavar="REF")
@click.option(
    "--as",
    "kind",
    type=click.Choice(["gotcha", "decision", "rule"]),
    help="What the lesson becomes (with --suggest: the model proposes it when left out).",
)
@click.option(
    "--applies-to",
    "applies_to",
    multiple=True,
    metavar="GLOB",
    help="The files it applies to (repeatable); default: what the lesson's task changed.",
)
@click.option(
    "--suggest",
    is_flag=True,
    help="Ask the model (ANTHROPIC_API_KEY) for the kind, the wording and the globs; the answer "
    "is checked like a hand-written file before anything is written.",
)
def adopt(ref: str, kind: str | None, applies_to: tuple[str, ...], suggest: bool) -> int:
    """Adopt lesson REF (`<handoff>#<n>`): write it as a gotcha, a decision or a rule with
    `applies_to` and a link back to its handoff, so the next tasks that touch those files get it
    in their prompts."""
    from agentmd.errors import AgentmdError
    from agentmd.lessons import adopt as adopting

    ws = open_workspace()
    proposal = None
    if suggest:
        from agentmd.lessons.suggest import suggest_note

        proposal = suggest_note(ws, ref, kind, applies_to)
        kind = proposal.kind
    if kind is None:
        raise AgentmdError("say what it becomes: --as gotcha, --as decision or --as rule")
    done = adopting.adopt(ws, ref, kind, applies_to, proposal)
    click.echo(f"created {ws.display(done.rel)}")
    if done.applies_to:
        click.echo(f"  applies to: {', '.join(done.applies_to)}")
    else:
        click.echo("  applies to every task (no applies_to)")
    return 0


@lessons.command("dismiss")
@click.argument("ref", metavar="REF")
@click.option("--reason", required=True, metavar="TEXT", help="Why it is not worth keeping.")
def dismiss(ref: str, reason: str) -> int:
    """Set lesson REF aside, with the reason (recorded in memory/log.md): not offered again."""
    from agentmd.lessons import adopt as adopting

    lesson = adopting.dismiss(open_workspace(), ref, reason)
    click.echo(f"dismissed {lesson.ref}")
    return 0
