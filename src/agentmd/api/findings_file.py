"""A review's findings and the file that keeps them, `reviews/<date>-<task>.md`: the findings
as data (`Finding`, `Review`), the file's text, its creation, and the checks of its front
matter that `agentmd check` runs."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from agentmd import AGENTS_DIR, clock
from agentmd.errors import AgentmdError, Problem
from agentmd.files import textfile
from agentmd.files.edit import render_scalar
from agentmd.prompt import diff_budget
from agentmd.workspace.folder import Workspace
from agentmd.workspace.records import Task

FOLDER = "reviews"
SEVERITIES = ("blocking", "minor", "nit")
VERDICTS = ("pass", "changes_requested")
FIELDS = ("task", "verdict", "blocking", "findings", "base", "head", "model", "date")
REQUIRED = ("task", "verdict", "blocking", "findings", "base", "head")
HEX_RE = re.compile(r"[0-9a-f]{4,64}")


@dataclass(frozen=True)
class Finding:
    severity: str
    path: str  # relative to the repository root
    line: int
    message: str
    suggestion: str = ""

    @property
    def blocking(self) -> bool:
        return self.severity == "blocking"

    def located(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"

    def problem(self) -> Problem:
        return Problem(
            self.path, self.line, 1, "review", self.message, self.suggestion, self.severity
        )


@dataclass(frozen=True)
class Review:
    task: Task
    path: str  # the findings file, relative to .agents/
    summary: str
    findings: list[Finding]
    base: str
    head: str
    model: str
    diff: diff_budget.BudgetedDiff

    @property
    def blocking(self) -> list[Finding]:
        return [f for f in self.findings if f.blocking]

    @property
    def verdict(self) -> str:
        return VERDICTS[1] if self.blocking else VERDICTS[0]

    def as_json(self) -> dict:
        return {
            "task": self.task.id,
            "verdict": self.verdict,
            "summary": self.summary,
            "file": f"{AGENTS_DIR}/{self.path}",
            "base": self.base,
            "head": self.head,
            "model": self.model,
            "findings": [asdict(f) for f in self.findings],
            "diff": {"summarised": self.diff.summarised, "dropped": self.diff.dropped},
        }


def render(result: Review) -> str:
    """The findings file's text."""
    fields = [
        ("task", result.task.id),
        ("verdict", result.verdict),
        ("blocking", len(result.blocking)),
        ("findings", len(result.findings)),
        ("base", result.base),
        ("head", result.head),
        ("model", result.model),
        ("date", clock.stamp()),
    ]
    out = [
        "---",
        *(f"{key}: {render_scalar(value)}" for key, value in fields),
        "---",
        "## Summary",
        "",
    ]
    out += [result.summary or "No summary given.", "", "## Findings", ""]
    for f in result.findings:
        out.append(f"- {f.severity} `{f.path}:{f.line}`: {f.message}")
        if f.suggestion:
            out.append(f"  Suggestion: {f.suggestion}")
    if not result.findings:
        out.append("None.")
    if not result.diff.complete:
        out += ["", "## Left out of the diff", ""]
        out += [f"- summarised: {name}" for name in result.diff.summarised]
        out += [f"- left out: {name}" for name in result.diff.dropped]
    return "\n".join(out) + "\n"


def write(ws: Workspace, result: Review) -> str:
    """Create reviews/<date>-<task>.md (`-2`, `-3`... when taken); return its path in .agents/."""
    text = render(result)
    stem = f"{clock.today()}-{result.task.id}"
    for n in range(1, 1000):
        rel = f"{FOLDER}/{stem}{'' if n == 1 else f'-{n}'}.md"
        if textfile.create_exclusive(ws.agents / rel, text):
            return rel
    raise AgentmdError(f"too many reviews named {FOLDER}/{stem}-*.md")


def check_file(ws: Workspace, rel: str) -> list[Problem]:
    """Every problem in the front matter of one findings file (`reviews/<name>.md`), located at
    its field, for `agentmd check`. A file that does not parse raises LocatedError."""
    doc = ws.read(rel)
    display = ws.display(rel)
    if doc.fm is None:
        return [
            Problem(
                display, 1, 1, "frontmatter-missing", "a findings file starts with front matter",
                "agentmd review writes these files; restore it from git",
            )
        ]  # fmt: skip
    fields = doc.fields
    problems: list[Problem] = []

    def at(key: str, code: str, message: str, hint: str = "", severity: str = "error") -> None:
        problems.append(Problem(display, doc.line_of(key), 1, code, message, hint, severity))

    for key in fields:
        if key not in FIELDS:
            at(
                key,
                "unknown-key",
                f"unknown key '{key}' in a findings file",
                f"known keys: {', '.join(FIELDS)}",
            )
    for key in REQUIRED:
        if fields.get(key) in (None, ""):
            at(key, "missing-key", f"a findings file needs '{key}'")
    task, verdict = fields.get("task"), fields.get("verdict")
    if isinstance(task, str) and task and task not in ws.tasks:
        at("task", "dangling-task", f"no task '{task}' in {AGENTS_DIR}/tasks/", severity="warning")
    if verdict is not None and verdict not in VERDICTS:
        at("verdict", "bad-value", f"verdict must be one of {', '.join(VERDICTS)}, not {verdict!r}")
    counts = {}
    for key in ("blocking", "findings"):
        value = fields.get(key)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value < 0
        ):
            at(key, "bad-value", f"{key} must be a count (0 or more), not {value!r}")
        elif value is not None:
            counts[key] = value
    if counts.get("blocking", 0) > counts.get("findings", counts.get("blocking", 0)):
        at("blocking", "bad-value", "more blocking findings than findings")
    if (
        verdict in VERDICTS
        and "blocking" in counts
        and (verdict == "pass") != (counts["blocking"] == 0)
    ):
        at(
            "verdict",
            "bad-value",
            f"verdict {verdict} does not match {counts['blocking']} blocking finding(s)",
            "changes_requested when blocking > 0, else pass",
        )
    for key in ("base", "head"):
        value = fields.get(key)
        if value not in (None, "") and not (isinstance(value, str) and HEX_RE.fullmatch(value)):
            at(key, "bad-value", f"{key} must be a commit hash, not {value!r}")
    return problems
