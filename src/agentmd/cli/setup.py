"""`agentmd setup HOST`: wire a host's hooks, the AGENTS.md block, the MCP server; or undo it."""

from __future__ import annotations

import shutil

import click

from agentmd.hosts.host_table import HOSTS


@click.command("setup")
@click.argument("host", type=click.Choice(list(HOSTS)))
@click.option("--remove", is_flag=True, help="Take out what setup wrote; nothing else.")
@click.option("--dry-run", is_flag=True, help="Print the changes as a diff; write nothing.")
@click.option("--mcp", is_flag=True, help="Also register `agentmd mcp` in the host's MCP config.")
@click.option(
    "--plugin",
    is_flag=True,
    help="claude: write the Claude Code plugin (hooks, skill, slash commands) to "
    ".claude/agentmd-plugin/, instead of the hooks in .claude/settings.json.",
)
@click.option(
    "--worker",
    is_flag=True,
    help="Print the worker command line for `agentmd run` with this host; write nothing.",
)
def setup(host: str, remove: bool, dry_run: bool, mcp: bool, plugin: bool, worker: bool) -> int:
    """Wire HOST into this repository: claude, codex, gemini (hooks), cursor, copilot, aider.

    Writes the host's hooks (a session starts with `agentmd prime`, compaction drafts the
    handoff, a stop with work unrecorded is refused once), merged into the settings file that is
    there, and the workflow block in AGENTS.md; a second run changes nothing, --remove takes out
    exactly what it added. docs/integrations.md says what each host gets.
    """
    from agentmd.cli.common import open_workspace
    from agentmd.hosts import setup as core

    ws = open_workspace()
    if worker:
        from agentmd.hosts.workers import worker_line

        line = worker_line(ws, host)
        if line is None:
            raise click.UsageError(
                f"{host} has no non-interactive mode agentmd can run as a worker"
            )
        click.echo(line)
        click.echo(
            "  (use it as `worker:` in .agents/plan.md, or: agentmd run --worker '...'; "
            "docs/integrations.md says what each flag allows)",
            err=True,
        )
        return 0
    if plugin and host != "claude":
        raise click.UsageError("--plugin is for claude (a Claude Code plugin)")
    changes = core.plan_changes(ws.root, host, remove=remove, mcp=mcp, plugin=plugin)
    if dry_run:
        click.echo(core.diff(changes), nl=False)
        if not changes:
            click.echo("nothing to change", err=True)
        return 0
    core.apply(ws.root, changes)
    if not changes:
        click.echo(f"{HOSTS[host].title}: nothing to change")
    for change in changes:
        verb = (
            "removed" if change.after is None else "created" if change.before is None else "updated"
        )
        click.echo(f"{verb} {change.rel}")
    if not remove:
        _report(ws, host)
    elif others := core.still_set_up(ws.root, host):
        click.echo(f"kept the workflow block in AGENTS.md: {', '.join(others)} still set up")
    return 0


def _report(ws, host: str) -> None:
    from agentmd.hosts import agents_block
    from agentmd.prompt.tokens import ESTIMATE

    text = (ws.root / "AGENTS.md").read_text(encoding="utf-8")
    block = agents_block.BLOCK
    total, own, budget = ESTIMATE.count(text), ESTIMATE.count(block), ws.settings.rules_budget
    click.echo(
        f"AGENTS.md: ~{total:,} tokens (the workflow block ~{own:,}) of rules_budget {budget:,}"
    )
    if total > budget:
        click.echo(
            f"warning: AGENTS.md is over rules_budget ({total:,} > {budget:,}): "
            "every session pays for it; `agentmd check` names the files",
            err=True,
        )
    if HOSTS[host].settings and shutil.which("agentmd") is None:
        click.echo(
            "warning: `agentmd` is not on PATH here: the hooks call it by that name "
            "(install it with pipx, or put its folder on PATH)",
            err=True,
        )
