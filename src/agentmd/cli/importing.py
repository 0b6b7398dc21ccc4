"""`agentmd import FORMAT PATH`: tasks from Backlog.md, Task Master, spec-kit, Kiro, a checklist
or GitHub issues, written into .agents/tasks/ (a second import updates, never duplicates)."""

from __future__ import annotations

from pathlib import Path

import click

from agentmd.cli.common import open_workspace
from agentmd.errors import EXIT_FINDINGS, AgentmdError
from agentmd.importers.formats import FORMATS


@click.command("import")
@click.argument("fmt", metavar="FORMAT", type=click.Choice(sorted(FORMATS)))
@click.argument("path", metavar="PATH", required=False, type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help="Print what would be written; write nothing.")
@click.option(
    "--label",
    "labels",
    multiple=True,
    metavar="LABEL",
    help="github only, without PATH: the open issues with this label (through `gh`).",
)
@click.option(
    "--decompose",
    is_flag=True,
    help="github only: each issue becomes the tasks `agentmd decompose` writes for it.",
)
def import_plan(fmt, path, dry_run, labels, decompose) -> int:
    """Import a plan kept elsewhere into .agents/tasks/.

    FORMAT is backlog (a backlog/ folder), taskmaster (tasks.json), speckit or kiro (tasks.md),
    checklist (any Markdown file of checkboxes) or github (`gh issue list --json` output; without
    PATH, read through `gh`). Exit 1 when an item could not be read (each is reported at its
    line), 2 on a usage or I/O error.
    """
    from agentmd.importers import writer
    from agentmd.importers.formats import reader
    from agentmd.tasks.lifecycle import changing, log

    ws = open_workspace()
    if (labels or decompose) and fmt != "github":
        raise AgentmdError("--label and --decompose are for 'agentmd import github'")
    if fmt == "github" and path is None:
        from agentmd.importers import github_issues

        imp = github_issues.read_from_gh(ws.root, labels)
    elif path is None:
        raise AgentmdError(f"'agentmd import {fmt}' needs a PATH", _hint(fmt))
    else:
        from agentmd.workspace.folder import _no_gc

        with _no_gc():  # 10,000 items make no cycles: the collector would only walk them
            imp = reader(fmt).read(path, ws.root) if fmt != "kiro" else _kiro(path, ws.root)
    if decompose:
        from agentmd.importers import github_issues

        imp = github_issues.decomposed(ws, imp)
    result = writer.plan(ws, imp)  # (before the warnings: it adds those of cycles it breaks)
    for problem in imp.refused + imp.warnings:
        click.echo(problem.render(), err=True)
    if dry_run:
        click.echo(writer.dry_run_text(ws, result), nl=False)
    elif result.count("new") or result.count("updated"):
        with changing(ws):
            writer.apply(ws, result)
            log(ws, "import", fmt, _counts(result) + f" from {imp.origin}")
    for orphan in result.orphans:
        click.echo(
            f"agentmd: note: '{orphan}' was imported from {imp.origin} before and is no longer "
            "there: left as it is",
            err=True,
        )
    active = [c.id for c in result.changes if c.claimed]
    if active:
        shown = ", ".join(active[:5]) + (f" and {len(active) - 5} more" if len(active) > 5 else "")
        click.echo(
            f"agentmd: note: {len(active)} task(s) in progress in {imp.origin} "
            f"{'would be' if dry_run else 'were'} imported as active, claimed by nobody ({shown}): "
            f"nothing hands them out until their lease ({ws.settings.lease}) runs out; "
            "'agentmd release ID' hands one back now",
            err=True,
        )
    verb = "would import" if dry_run else "imported"
    done = sum(1 for c in result.changes if c.done)
    click.echo(
        f"{verb} {len(result.changes)} task(s) from {imp.origin}: {_counts(result)}"
        f" ({done} done in the source)" + (f"; {len(imp.refused)} refused" if imp.refused else "")
    )
    return EXIT_FINDINGS if imp.refused else 0


def _kiro(path: Path, root: Path):
    from agentmd.importers import tasks_md

    return tasks_md.read(path, root, flavour="kiro")


def _counts(result) -> str:
    return ", ".join(f"{result.count(k)} {k}" for k in ("new", "updated", "unchanged"))


def _hint(fmt: str) -> str:
    return {
        "backlog": "agentmd import backlog backlog/",
        "taskmaster": "agentmd import taskmaster .taskmaster/tasks/tasks.json",
        "speckit": "agentmd import speckit specs/001-feature/tasks.md",
        "kiro": "agentmd import kiro .kiro/specs/feature/tasks.md",
        "checklist": "agentmd import checklist TODO.md",
    }[fmt]
