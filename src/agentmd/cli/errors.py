"""The one place where errors become output: a located message, never a traceback."""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
import traceback

import click

from agentmd.errors import EXIT_USAGE, AgentmdError, LocatedError


def invoke(group: click.Group) -> int:
    try:
        result = group.main(prog_name="agentmd", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("agentmd: aborted", err=True)
        return 130
    except KeyboardInterrupt:
        return 130
    except LocatedError as exc:
        click.echo(exc.problem.render(), err=True)
        return exc.exit_code
    except AgentmdError as exc:
        click.echo(f"agentmd: error: {exc.message}", err=True)
        if exc.hint:
            click.echo(f"  hint: {exc.hint}", err=True)
        return exc.exit_code
    except BrokenPipeError:
        _silence_stdout()
        return 1
    except Exception as exc:  # noqa: BLE001 - the last resort: one line and a log file
        return _crash(exc)
    return result if isinstance(result, int) else 0


def _crash(exc: Exception) -> int:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    fd, path = tempfile.mkstemp(prefix=f"agentmd-crash-{stamp}-", suffix=".log")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(f"agentmd {' '.join(sys.argv[1:])}\n\n")
        handle.write("".join(traceback.format_exception(exc)))
    click.echo(
        f"agentmd: internal error: {type(exc).__name__}: {exc} (details in {path}; please report it)",
        err=True,
    )
    return EXIT_USAGE


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except OSError:
        pass
