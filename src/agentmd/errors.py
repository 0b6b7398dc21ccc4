"""The user's errors (one base class) and located findings."""

from __future__ import annotations

from typing import NamedTuple

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2


class Problem(NamedTuple):
    """One located finding: `path:line:col: severity code: message`, then a hint. (A named
    tuple, not a dataclass: importing dataclasses imports inspect, which costs a remembered
    run, answered before click loads, a tenth of its time.)"""

    path: str
    line: int
    col: int
    code: str
    message: str
    hint: str = ""
    severity: str = "error"

    def render(self) -> str:
        text = f"{self.path}:{self.line}:{self.col}: {self.severity} {self.code}: {self.message}"
        return f"{text}\n  hint: {self.hint}" if self.hint else text

    def as_dict(self) -> dict:
        return {
            "path": self.path,
            "line": self.line,
            "col": self.col,
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
            "hint": self.hint,
        }


class AgentmdError(Exception):
    """An error the user can act on; the CLI prints it and exits with `exit_code`."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, hint: str = "", exit_code: int | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        if exit_code is not None:
            self.exit_code = exit_code


class LocatedError(AgentmdError):
    """An error at a place in a file."""

    def __init__(self, problem: Problem):
        super().__init__(problem.render())
        self.problem = problem


class NothingToDo(AgentmdError):
    """Not an error, but not a success either: exit 1 (nothing ready, refused as too large)."""

    exit_code = EXIT_FINDINGS
