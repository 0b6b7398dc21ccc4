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
    result = _spawn(
        args, cwd, env, input=input, text=True, encoding="utf-8", errors="surrogateescape"
    )
    if check and result.returncode != 0:
        raise _failed(args, result.stderr, result.returncode)
    return result


def _spawn(args: list[str], cwd: Path, env: dict[str, str] | None, **kwargs):
    """git with `args`, its output captured (`kwargs`: as text or bytes, the input)."""
    import subprocess

    try:
        return subprocess.run(
            ["git", *args],
            cwd=cwd,
            capture_output=True,
            env=env if env is not None else clean_env(),
            check=False,
            **kwargs,
        )
    except FileNotFoundError:
        raise GitError("git is not installed or not on PATH") from None


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
    """`run` with the output as bytes, its line ends as git wrote them (`run`'s text mode
    turns CRLF into LF, which cuts `cat-file --batch` output in the wrong places)."""
    done = _spawn(args, cwd, env, input=input)
    stderr = done.stderr.decode("utf-8", "surrogateescape")
    if check and done.returncode != 0:
        raise _failed(args, stderr, done.returncode)
    return Ran(done.returncode, done.stdout, stderr)


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
