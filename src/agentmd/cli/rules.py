"""`agentmd rules build` and `agentmd rules import`."""

from __future__ import annotations

import click

from agentmd.cli.common import open_workspace
from agentmd.errors import EXIT_FINDINGS


@click.group()
def rules() -> None:
    """One source for every agent's files: .agents/rules/ built into AGENTS.md, CLAUDE.md,
    .cursor/rules, Copilot instructions, GEMINI.md, Windsurf and Cline rules (docs/hosts.md)."""


@rules.command("build")
@click.option("--dry-run", is_flag=True, help="Print the diff of what would change; write nothing.")
@click.option(
    "--check",
    "check_only",
    is_flag=True,
    help="Write nothing; exit 1 when a file is out of date or outlived its rule (CI, hooks).",
)
@click.option(
    "--force",
    is_flag=True,
    help="Also rewrite a generated file edited by hand since the last build (the edit is lost).",
)
def build(dry_run: bool, check_only: bool, force: bool) -> int:
    """Write each configured host's files from .agents/rules/.

    The hosts are plan.md's `hosts:`; without it, those whose files are there; else AGENTS.md
    alone. A file agentmd generated says so on a marker line and is rewritten whole; into a
    file a person wrote it writes only between <!-- agentmd:rules:start --> and
    <!-- agentmd:rules:end -->. Exit 0 when done (or up to date), 1 with --check when something
    is out of date or a file is in the way, 2 on a usage error.
    """
    from agentmd.rules import build as building
    from agentmd.rules.measure import configured_hosts
    from agentmd.rules.tree import Tree

    ws = open_workspace()
    tree = Tree(ws.root)
    hosts = configured_hosts(ws, tree)
    plan = building.plan(ws, tree, hosts, force)
    from agentmd.prompt.tokens import ESTIMATE
    from agentmd.rules.measure import cuts_after

    # A file a host would cut is written all the same (the rules are the person's to move), but
    # never quietly: each cut is an error, at its line, and the exit is 1.
    cut = cuts_after(ws, tree, plan.changes, {o.path for o in plan.outputs}, ESTIMATE)
    for problem in plan.problems + cut:
        click.echo(problem.render(), err=True)
    if check_only:
        for change in plan.changes:
            click.echo(
                f"{change.path}:1:1: error rules-out-of-date: {change.why}\n"
                "  hint: run 'agentmd rules build'"
            )
        return EXIT_FINDINGS if plan.changes or plan.problems or cut else 0
    if dry_run:
        for change in plan.changes:
            click.echo(change.diff(), nl=False)
        return EXIT_FINDINGS if plan.problems or cut else 0
    building.apply(tree, plan.changes)
    for change in plan.changes:
        verb = "removed" if change.new is None else "wrote"
        click.echo(f"{verb} {change.path} ({change.why})")
    if not plan.changes and not plan.outputs:
        click.echo("nothing to build: no rule in .agents/rules/ has `always: true` or `applies_to`")
    elif not plan.changes:
        click.echo(f"up to date: {len(plan.outputs)} file(s) for {', '.join(hosts)}")
    return EXIT_FINDINGS if plan.problems or cut else 0


@rules.command("import")
@click.argument("paths", nargs=-1, metavar="[PATH...]")
@click.option(
    "--skip",
    "skipped",
    multiple=True,
    metavar="PATH",
    help="Leave this file out (repeatable): the others are imported without it.",
)
def import_rules(paths: tuple[str, ...], skipped: tuple[str, ...]) -> int:
    """Read the hosts' rule files (all there are, or the PATHs named) into .agents/rules/.

    Scoping is kept (globs, applyTo, paths, a nested AGENTS.md's folder), the same rule found
    in several files becomes one, and each rule records its `origin`. All or nothing: a file
    that cannot be taken in is named with its reason and nothing is written (exit 1).
    """
    from pathlib import Path

    from agentmd.rules.importer import run_import
    from agentmd.rules.tree import Tree

    ws = open_workspace()
    tree = Tree(ws.root)
    named = [_relative(ws.root, Path(p)) for p in paths]
    left_out = {_relative(ws.root, Path(p)) for p in skipped}
    outcome = run_import(ws, tree, named or None, left_out)
    for problem in outcome.problems:
        click.echo(problem.render(), err=True)
    for note in outcome.notes:
        click.echo(note)
    for rel, origins in outcome.written:
        click.echo(f"created {rel} from {', '.join(origins)}")
    if outcome.problems:
        refused = " ".join(f"--skip {p.path}" for p in outcome.problems if p.path)
        click.echo(
            "nothing imported: fix the files named above, or leave them out "
            f"('agentmd rules import {refused}')",
            err=True,
        )
        return EXIT_FINDINGS
    if not outcome.written and not outcome.notes:
        click.echo("no host rule files to import")
    return 0


def _relative(root, path) -> str:
    from pathlib import Path

    full = (Path.cwd() / path).absolute()
    try:
        return full.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()
