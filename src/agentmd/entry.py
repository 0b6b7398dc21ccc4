"""The console entry (pyproject's `agentmd` script): a run whose output is remembered is answered
here, before click is imported; every other run goes to the click group unchanged.

The remembered commands (`next`, `next --parallel N`, `prime`, `list`) spend most of a warm run
starting up, and click alone costs more to import than the rest of such a run. So the command
line is read here for the few shapes these commands take, the memo key is computed by the very
function the command computes it with, and on a hit the stored output is printed as click would
print it. Anything else (an option this does not know, `--help`, a value it would have to
judge, a miss, an output click would print differently) falls through to click, which then
runs the command and remembers its output as it always does: the fall-through is always safe.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    from typing import Any

from agentmd.workspace.folder import NotAWorkspace, Workspace

# Each remembered command's options: "flag"; "text" (any value); "texts" (repeatable);
# ("int", least) (click.IntRange(min=least)); ("choice", value) (the one value answered here).
OPTIONS: dict[str, dict[str, object]] = {
    "next": {
        "--explain": "flag",
        "--json": "flag",
        "--budget": ("int", 1),
        "--parallel": ("int", 1),
        "--tokens": ("choice", "estimate"),  # exact counts are never remembered
    },
    "prime": {"--as": "text", "--max-chars": ("int", 200), "--json": "flag"},
    "list": {"--status": "texts", "--ready": "flag", "--json": "flag"},
}


def run() -> None:
    scanned: list[Workspace] = []  # the workspace a miss scanned: click's run goes on with it
    try:
        code = remembered(sys.argv[1:], scanned)
    except KeyboardInterrupt:  # in a cold read begun here: said as click says it
        sys.stderr.write("\nagentmd: aborted\n")
        leave(130)
    if code is None:
        from agentmd.cli import invoked

        code = invoked(scanned[0] if scanned else None)
    leave(code)


def leave(code: int) -> NoReturn:
    """Exit with `code` as Python does, but without tearing the interpreter down: freeing a
    cold run's 13,000 records one by one takes 30-60 ms that the system does at once. The
    atexit handlers run, then the output is flushed (what a handler prints is printed). A
    process with other threads (Python joins them) or whose output does not flush (Python
    reports it) exits as Python does."""
    import atexit

    threading = sys.modules.get("threading")  # not imported: no thread was started with it
    if threading is not None and threading.active_count() > 1:
        sys.exit(code)
    atexit._run_exitfuncs()  # once run, they are gone: Python's own exit runs none again
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except Exception:  # noqa: BLE001 - a closed pipe: Python's exit says so, as it always did
        sys.exit(code)
    os._exit(code)


def remembered(args: list[str], scanned: list[Workspace] | None = None) -> int | None:
    """Print what a run of `agentmd ARGS` printed before and return its exit code, when the
    output is remembered and still fresh; None: click must run the command."""
    if os.environ.get("_AGENTMD_COMPLETE"):  # click's shell completion
        return None
    try:
        hit = recall_of(Path.cwd(), args, scanned)
    except Exception:  # noqa: BLE001 - whatever went wrong, the click path says it properly
        return None
    return None if hit is None else _print(*hit)


def recall_of(
    cwd: Path, args: list[str], scanned: list[Workspace] | None = None
) -> tuple[str, str] | None:
    """(stdout, stderr) remembered for `agentmd ARGS` run in `cwd`; None when click must run it.
    Each command's key is computed by the function the command itself computes it with. The
    workspace opened is added to `scanned`: on a miss, click goes on with it (one scan of
    13,000 files, not two)."""
    asked = parse(args)
    if asked is None:
        return None
    directory, command, options = asked
    if command == "next" and "--explain" in options and "--parallel" not in options:
        return None  # a ranking with reasons is never remembered: click ranks it
    start = cwd
    if directory is not None:
        start = cwd / directory
        if not (directory and start.is_dir() and os.access(start, os.R_OK)):
            return None  # click.Path(exists=True, file_okay=False) refuses it, and says why
    try:
        ws = Workspace.find(start)
    except NotAWorkspace:
        return None
    if scanned is not None:
        scanned.append(ws)
    as_json = bool(options.get("--json"))
    if command == "next":
        from agentmd.prompt import next as core

        ask = core.Ask(budget=options.get("--budget"), limit=options.get("--parallel"))
        said = core.recall_for(ws, ask, as_json, bool(options.get("--explain")))
        if said is None and ask.limit is None and scanned is not None:
            core.read_ahead(ws)  # a cold read: begun before click is imported, for click's run
        return said
    if command == "prime":
        from agentmd.hosts import prime_key

        hit = prime_key.recall(ws, options.get("--as"), options.get("--max-chars"), as_json)
        return None if hit is None else (hit, "")  # prime prints what it remembered, only
    from agentmd.workspace import memo

    ready = bool(options.get("--ready"))
    return memo.recall(ws, memo.list_key(options.get("--status", []), ready, as_json))


def parse(args: list[str]) -> tuple[str | None, str, dict[str, Any]] | None:
    """(the -C directory, the command, its options) as click would read them; None for any
    command line this does not answer."""
    directory = None
    if args[:1] == ["-C"] and len(args) > 2:
        directory, args = args[1], args[2:]
    if not args or args[0] not in OPTIONS:
        return None
    known = OPTIONS[args[0]]
    options: dict[str, Any] = {}
    rest = iter(args[1:])
    for arg in rest:
        name, eq, value = arg.partition("=")
        kind = known.get(name)
        if kind is None or (name in options and kind != "texts"):
            return None
        if kind == "flag":
            if eq:
                return None
            options[name] = True
            continue
        if not eq:
            value = next(rest, "")
        if not value or value.startswith("-") or not value.isprintable():
            return None
        if kind == "text":
            options[name] = value
        elif kind == "texts":
            options.setdefault(name, []).append(value)
        elif kind[0] == "int":  # type: ignore[index]
            if not (value.isascii() and value.isdigit()) or int(value) < kind[1]:  # type: ignore[index]
                return None
            options[name] = int(value)
        elif value != kind[1]:  # type: ignore[index]
            return None
    return directory, args[0], options


def _print(output: str, errors: str) -> int | None:
    """Print as click.echo would: stderr then stdout, each encoded as its stream encodes. An
    output click would change (ANSI codes it strips when not on a terminal), or that a stream
    cannot encode (click then fails as it fails), goes back to click."""
    try:
        said = _encoded(sys.stderr, errors)
        printed = _encoded(sys.stdout, output)
    except (AttributeError, LookupError, TypeError, UnicodeError):  # a stream that is not one
        return None
    if said is None or printed is None:
        return None
    try:
        for stream, data in ((sys.stderr, said), (sys.stdout, printed)):
            stream.flush()
            if data:
                stream.buffer.write(data)
            stream.buffer.flush()
    except Exception as exc:  # noqa: BLE001 - as the click path reports it (a closed pipe)
        from agentmd import error_output

        return error_output.report(exc, "agentmd")
    return 0


def _encoded(stream, text: str) -> bytes | None:
    import codecs

    stream.buffer  # noqa: B018 - the bytes go there: a stream without one is click's
    if "\x1b" in text or codecs.lookup(stream.encoding).name == "ascii":
        return None  # click strips ANSI codes off a pipe, and re-wraps an ASCII stream
    return text.encode(stream.encoding, stream.errors or "strict")
