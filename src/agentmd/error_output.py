"""The one place where errors become output, for the command line and the commit hook alike:
a located message (or one line and a hint), an exit code, never a traceback. An error that is
not the user's is one line and a log file with the details. click is not imported here: the
hook runs without it (cli/errors.py adds click's own exceptions in front of this)."""

from __future__ import annotations

import errno
import os
import sys

from agentmd.errors import EXIT_USAGE, AgentmdError, LocatedError, Problem

HINTS = {
    errno.EACCES: "check the permissions of the file and its folder",
    errno.EPERM: "check the permissions of the file and its folder",
    errno.ENOSPC: "free some disk space",
    errno.EDQUOT: "free some disk space (a quota is full)",
    errno.EROFS: "the file system is mounted read-only",
}


def report(exc: BaseException, who: str = "agentmd") -> int:
    """Print `exc` on stderr as the user should see it, `who` naming the speaker
    (`agentmd`, `agentmd pre-commit hook`); return the exit code."""
    if isinstance(exc, KeyboardInterrupt):
        return 130
    if isinstance(exc, LocatedError):
        _say(exc.problem.render())
        return exc.exit_code
    if isinstance(exc, AgentmdError):
        _say(f"{who}: error: {exc.message}")
        if exc.hint:
            _say(f"  hint: {exc.hint}")
        return exc.exit_code
    if isinstance(exc, BrokenPipeError):
        _silence_stdout()
        return 1
    if isinstance(exc, OSError):  # a file or folder in the way, permissions, a full disk
        problem = os_problem(exc)
        _say(f"{who}: error: {exc.strerror or exc}" if problem is None else problem.render())
        return EXIT_USAGE
    if isinstance(exc, Exception):
        return _crash(exc, who)
    raise exc  # SystemExit and the like are not errors to report


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


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _crash(exc: Exception, who: str) -> int:
    import datetime as dt  # only for a crash: every command would pay for them at start
    import tempfile
    import traceback

    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    fd, path = tempfile.mkstemp(prefix=f"agentmd-crash-{stamp}-", suffix=".log")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(f"{who} {' '.join(sys.argv[1:])}\n\n")
        handle.write("".join(traceback.format_exception(exc)))
    _say(
        f"{who}: internal error: {type(exc).__name__}: "
        f"{exc} (details in {path}; please report it)"
    )
    return EXIT_USAGE


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except OSError:
        pass
