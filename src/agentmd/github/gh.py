"""Every `gh` call goes through `run`: one place that finds gh, runs it without a terminal
prompt, and turns its failures (missing, not logged in, rate-limited) into one clear line."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from agentmd.errors import AgentmdError


class GhError(AgentmdError):
    """gh ran and failed: the message is its last line of stderr."""


class GhUnavailable(GhError):
    """gh is not installed, or not logged in: nothing to do through it."""


def env() -> dict[str, str]:
    values = dict(os.environ)
    values.update({"GH_PROMPT_DISABLED": "1", "GH_NO_UPDATE_NOTIFIER": "1", "NO_COLOR": "1"})
    values.setdefault("GH_PAGER", "cat")
    return values


def run(args: list[str], cwd: Path, *, input: str | None = None) -> str:
    try:
        result = subprocess.run(
            ["gh", *args],
            cwd=cwd,
            input=input,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            env=env(),
            check=False,
        )
    except FileNotFoundError:
        raise GhUnavailable(
            "gh (the GitHub CLI) is not installed or not on PATH",
            "install it (https://cli.github.com) and run 'gh auth login'",
        ) from None
    if result.returncode == 0:
        return result.stdout
    lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
    last = lines[-1] if lines else f"exit {result.returncode}"
    text = result.stderr.lower()
    if result.returncode == 4 or "gh auth login" in text or "not logged" in text:
        raise GhUnavailable(f"gh is not logged in: {last}", "run 'gh auth login'")
    if "rate limit" in text:
        raise GhError(
            f"gh {args[0]} {args[1] if len(args) > 1 else ''}".rstrip()
            + f": GitHub's rate limit: {last}",
            "wait for the limit to reset ('gh api rate_limit' says when) and run it again",
        )
    raise GhError(f"gh {' '.join(args[:2])} failed: {last}")


def run_json(args: list[str], cwd: Path) -> Any:
    text = run(args, cwd)
    try:
        return json.loads(text or "null")
    except json.JSONDecodeError as exc:
        raise GhError(f"gh {' '.join(args[:2])} printed no JSON: {exc.msg}") from None
