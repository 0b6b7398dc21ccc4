"""Where the command line's errors become output: click's own exceptions here, every other
error through the one funnel the commit hook uses too (error_output.py)."""

from __future__ import annotations

import click

from agentmd import error_output


def invoke(group: click.Group, obj: object = None) -> int:
    try:
        return _invoked(group, obj)
    finally:  # a cache written behind (Workspace.write_behind) is whole before the command ends
        from agentmd.workspace import forked

        forked.wait_background()


def _invoked(group: click.Group, obj: object) -> int:
    try:
        result = group.main(prog_name="agentmd", standalone_mode=False, obj=obj)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("agentmd: aborted", err=True)
        return 130
    except (Exception, KeyboardInterrupt) as exc:  # noqa: BLE001 - the funnel reports each kind
        return error_output.report(exc, "agentmd")
    return result if isinstance(result, int) else 0
