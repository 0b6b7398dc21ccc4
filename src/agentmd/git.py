"""Every git call goes through `run`: no GitPython, no lingering processes, `-z` output parsed."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from agentmd.errors import AgentmdError

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
        message = result.stderr.strip().splitlines()
        raise GitError(f"git {args[0]} failed: {message[-1] if message else result.returncode}")
    return result


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
