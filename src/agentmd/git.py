"""Every git call goes through `run`: no GitPython, no lingering processes, `-z` output parsed."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from agentmd.errors import AgentmdError

if TYPE_CHECKING:
    import subprocess

# Variables a hook's environment sets that would point our calls at the wrong repository.
_MISLEADING = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_PREFIX", "GIT_OBJECT_DIRECTORY")


class GitError(AgentmdError):
    pass


def clean_env(keep_index: bool = False) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _MISLEADING}
    if keep_index and "GIT_INDEX_FILE" in os.environ:
        env["GIT_INDEX_FILE"] = os.environ["GIT_INDEX_FILE"]
    env.setdefault("LC_ALL", "C")
    return env


def run(
    args: list[str],
    cwd: Path,
    *,
    check: bool = True,
    input: str | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    import subprocess  # here: the commit hook runs git without it (`run_bytes`)

    try:
        result = subprocess.run(
            ["git", *args],
            cwd=cwd,
            input=input,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="surrogateescape",
            env=env if env is not None else clean_env(),
            check=False,
        )
    except FileNotFoundError:
        raise GitError("git is not installed or not on PATH") from None
    if check and result.returncode != 0:
        raise _failed(args, result.stderr, result.returncode)
    return result


def _failed(args: list[str], stderr: str, returncode: int) -> GitError:
    message = stderr.strip().splitlines()
    return GitError(f"git {args[0]} failed: {message[-1] if message else returncode}")


class Ran:
    """What `run_bytes` gives: git's output as bytes (`raw`), and as text, not translated."""

    __slots__ = ("returncode", "raw", "stderr")

    def __init__(self, returncode: int, raw: bytes, stderr: str):
        self.returncode, self.raw, self.stderr = returncode, raw, stderr

    @property
    def stdout(self) -> str:
        return self.raw.decode("utf-8", "surrogateescape")


def run_bytes(
    args: list[str],
    cwd: Path,
    *,
    check: bool = True,
    input: bytes | None = None,
    env: dict[str, str] | None = None,
) -> Ran:
    """`run` for the commit hook, which must cost little more than starting Python: started
    with os.posix_spawnp where there is one, without the `subprocess` module and what it
    imports; the output is bytes, its line ends as git wrote them (`run`'s text mode turns
    CRLF into LF)."""
    argv = ["git", "-C", str(cwd), *args]
    environ = env if env is not None else clean_env()
    try:
        if hasattr(os, "posix_spawnp"):
            returncode, out, err = _spawned(argv, environ, input or b"")
        else:  # pragma: no cover - Windows
            import subprocess

            done = subprocess.run(argv, input=input, capture_output=True, env=environ)
            returncode, out, err = done.returncode, done.stdout, done.stderr
    except FileNotFoundError:
        raise GitError("git is not installed or not on PATH") from None
    stderr = err.decode("utf-8", "surrogateescape")
    if check and returncode != 0:
        raise _failed(args, stderr, returncode)
    return Ran(returncode, out, stderr)


def _spawned(argv: list[str], env: dict[str, str], data: bytes) -> tuple[int, bytes, bytes]:
    """Run argv with `data` on its stdin; its exit code, stdout and stderr. Input is written
    as the pipe takes it while the output is read, so neither side waits on the other."""
    import select

    stdin, to_child = os.pipe()
    from_child, stdout = os.pipe()
    errors, stderr = os.pipe()
    try:
        pid = os.posix_spawnp(
            argv[0],
            argv,
            env,
            file_actions=[
                (os.POSIX_SPAWN_DUP2, stdin, 0),
                (os.POSIX_SPAWN_DUP2, stdout, 1),
                (os.POSIX_SPAWN_DUP2, stderr, 2),
            ],
        )
    except BaseException:
        for fd in (to_child, from_child, errors):
            os.close(fd)
        raise
    finally:
        for fd in (stdin, stdout, stderr):
            os.close(fd)
    read: dict[int, list[bytes]] = {from_child: [], errors: []}
    poller = select.poll()
    for fd in read:
        poller.register(fd, select.POLLIN)
    pending = memoryview(data)
    if pending:
        os.set_blocking(to_child, False)
        poller.register(to_child, select.POLLOUT)
    else:
        os.close(to_child)
    left = len(read) + bool(pending)
    while left:
        for fd, _event in poller.poll():
            if fd == to_child:
                try:
                    pending = pending[os.write(fd, pending[:65536]) :]
                except BlockingIOError:
                    continue
                except BrokenPipeError:  # git stopped reading: what it wrote says why
                    pending = pending[:0]
                if not pending:
                    poller.unregister(fd)
                    os.close(fd)
                    left -= 1
                continue
            chunk = os.read(fd, 65536)
            if chunk:
                read[fd].append(chunk)
            else:
                poller.unregister(fd)
                os.close(fd)
                left -= 1
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), b"".join(read[from_child]), b"".join(read[errors])


def out(args: list[str], cwd: Path, **kwargs) -> str:
    return run(args, cwd, **kwargs).stdout


def toplevel(cwd: Path) -> Path | None:
    result = run(["rev-parse", "--show-toplevel"], cwd, check=False)
    return Path(result.stdout.strip()) if result.returncode == 0 else None


def head(cwd: Path) -> str | None:
    """The commit HEAD names, or None outside a repository or before the first commit."""
    result = run(["rev-parse", "--verify", "--quiet", "HEAD"], cwd, check=False)
    return result.stdout.strip() or None if result.returncode == 0 else None


def split_z(output: str) -> list[str]:
    return [item for item in output.split("\0") if item]
