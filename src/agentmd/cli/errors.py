"""The one place where errors become output: a located message, never a traceback."""

from __future__ import annotations

import errno
import os
import sys

import click

from agentmd.errors import EXIT_USAGE, AgentmdError, LocatedError, Problem


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
    except OSError as exc:  # a file or folder in the way, permissions, a full disk
        problem = os_problem(exc)
        if problem is None:
            click.echo(f"agentmd: error: {exc.strerror or exc}", err=True)
        else:
            click.echo(problem.render(), err=True)
        return EXIT_USAGE
    except Exception as exc:  # noqa: BLE001 - the last resort: one line and a log file
        return _crash(exc)
    return result if isinstance(result, int) else 0


HINTS = {
    errno.EACCES: "check the permissions of the file and its folder",
    errno.EPERM: "check the permissions of the file and its folder",
    errno.ENOSPC: "free some disk space",
    errno.EDQUOT: "free some disk space (a quota is full)",
    errno.EROFS: "the file system is mounted read-only",
}


def os_problem(exc: OSError) -> Problem | None:
    """An OSError as a located finding at the path it names; None when it names none."""
    # os.replace and os.link name the source first; what went wrong is at the destination.
    raw = exc.filename2 if exc.filename2 is not None else exc.filename
    if raw is None:
        return None
    path = os.fsdecode(raw)
    rel = os.path.relpath(path)
    display = rel if not rel.startswith("..") else path
    if exc.errno == errno.EISDIR:
        return Problem(
            display, 1, 1, "not-a-file", "is a directory where a file was expected", "move it aside"
        )
    if exc.errno == errno.ENOTDIR or (exc.errno == errno.EEXIST and not os.path.isdir(path)):
        return Problem(
            display, 1, 1, "not-a-folder",
            "a file is where a directory was expected (this path or one above it)",
            "move the file aside",
        )  # fmt: skip
    return Problem(
        display, 1, 1, "io-error", exc.strerror or str(exc), HINTS.get(exc.errno or 0, "")
    )


def _crash(exc: Exception) -> int:
    import datetime as dt  # only for a crash: every command would pay for them at start
    import tempfile
    import traceback

    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    fd, path = tempfile.mkstemp(prefix=f"agentmd-crash-{stamp}-", suffix=".log")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(f"agentmd {' '.join(sys.argv[1:])}\n\n")
        handle.write("".join(traceback.format_exception(exc)))
    click.echo(
        f"agentmd: internal error: {type(exc).__name__}: "
        f"{exc} (details in {path}; please report it)",
        err=True,
    )
    return EXIT_USAGE


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except OSError:
        pass
