"""Where the command line's errors become output: click's own exceptions here, every other
error through the one funnel the commit hook uses too (error_output.py)."""

from __future__ import annotations

import click

from agentmd import error_output


def invoke(group: click.Group, obj: object = None) -> int:
    from agentmd.workspace import forked

    try:
        code = _invoked(group, obj)
    finally:
        try:  # a cache written behind (Workspace.write_behind) is whole as the command ends
            forked.wait_background()
        except KeyboardInterrupt as exc:  # ^C as it waits: said as any ^C is
            code = error_output.report(exc, "agentmd")
    return code


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
