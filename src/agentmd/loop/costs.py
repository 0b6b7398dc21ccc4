"""What the work costs: each attempt's wall time, exit status and, when the worker reports
them, its tokens and cost, as one `spent` line in memory/log.md (the ledger: append-only,
committed with the loop's bookkeeping, merged as a union) and, for a failed attempt, in its
`## Attempts` entry. `status` sums the ledger per task, per day and for the plan, against
plan.md's `budget_usd` (the plan) and `task_budget_usd` (each task)."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from agentmd.errors import AgentmdError
from agentmd.tasks import lifecycle
from agentmd.workspace.folder import Workspace

REPORT_BYTES = 256 * 1024  # of the end of a worker's log, searched for its JSON report
COST_KEYS = ("total_cost_usd", "cost_usd")  # Claude Code's --output-format json; others
# "- 2026-12-01T10:00:00Z spent a: attempt 1, exit 0, 183 s, $0.4200, 12345 tokens"
LEDGER_RE = re.compile(
    r"^- (\d{4}-\d{2}-\d{2})T\S* spent (\S+): attempt (\d+), exit (-?\d+), (\d+) s"
    r"(?:, \$(\d+(?:\.\d+)?))?(?:, (\d+) tokens)?"
)


@dataclass(frozen=True)
class Spend:
    seconds: int
    usd: float | None  # None: the worker did not say
    tokens: int | None


def reported(log: Path) -> tuple[float | None, int | None]:
    """The cost and tokens the worker reported: the last JSON object in its log (a line of its
    own, or the whole log) with `total_cost_usd`/`cost_usd` and/or `usage`."""
    try:
        with open(log, "rb") as handle:
            handle.seek(0, 2)
            size = handle.tell()
            handle.seek(max(0, size - REPORT_BYTES))
            text = handle.read().decode("utf-8", "replace")
    except OSError:
        return None, None
    candidates = [line for line in text.splitlines() if line.lstrip().startswith("{")]
    if text.lstrip().startswith("{"):
        candidates.append(text)
    usd: float | None = None
    tokens: int | None = None
    for candidate in reversed(candidates):
        try:
            data = json.loads(candidate)
        except ValueError:
            continue
        if not isinstance(data, dict):
            continue
        if usd is None:
            usd = next(
                (float(data[k]) for k in COST_KEYS if isinstance(data.get(k), int | float)), None
            )
        if tokens is None and isinstance(data.get("usage"), dict):
            tokens = _tokens(data["usage"])
        if usd is not None and tokens is not None:
            break
    return usd, tokens


# OpenAI's usage (Codex) counts these inside input_tokens and output_tokens; Anthropic's cache
# counts (cache_read_input_tokens, ...) are beside input_tokens and are added.
PART_OF_ANOTHER = ("cached_input_tokens", "reasoning_output_tokens", "reasoning_tokens")


def _tokens(usage: dict) -> int | None:
    if isinstance(usage.get("total_tokens"), int):
        return usage["total_tokens"] or None
    counts = [
        v for k, v in usage.items()
        if k.endswith("tokens") and k not in PART_OF_ANOTHER and isinstance(v, int)
    ]  # fmt: skip
    return sum(counts) or None


def describe(spend: Spend, code: int) -> str:
    parts = [f"exit {code}", f"{spend.seconds} s"]
    if spend.usd is not None:
        parts.append(f"${spend.usd:.4f}")
    if spend.tokens is not None:
        parts.append(f"{spend.tokens} tokens")
    return ", ".join(parts)


def record(ws: Workspace, task_id: str, attempt: int, code: int, spend: Spend) -> None:
    lifecycle.log(ws, "spent", task_id, f"attempt {attempt}, {describe(spend, code)}")


@dataclass(frozen=True)
class Ledger:
    by_task: dict[str, float]
    by_day: dict[str, float]
    seconds: int
    attempts: int
    tokens: int

    @property
    def total(self) -> float:
        return sum(self.by_task.values())


def ledger(ws: Workspace) -> Ledger:
    by_task: dict[str, float] = defaultdict(float)
    by_day: dict[str, float] = defaultdict(float)
    seconds = attempts = tokens = 0
    try:
        text = (ws.agents / lifecycle.LOG).read_text(encoding="utf-8", errors="replace")
    except OSError:
        text = ""
    for line in text.splitlines():
        if " spent " not in line:
            continue
        m = LEDGER_RE.match(line)
        if not m:
            continue
        day, task, usd = m.group(1), m.group(2), float(m.group(6) or 0)
        by_task[task] += usd
        by_day[day] += usd
        seconds += int(m.group(5))
        attempts += 1
        tokens += int(m.group(7) or 0)
    return Ledger(dict(by_task), dict(by_day), seconds, attempts, tokens)


def budgets(ws: Workspace) -> tuple[float | None, float | None]:
    """(the plan's budget_usd, each task's task_budget_usd); None where not set."""
    found: list[float | None] = []
    for key in ("budget_usd", "task_budget_usd"):
        value = ws.settings.raw.get(key)
        if value is None:
            found.append(None)
        elif isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise AgentmdError(
                f"plan.md setting {key}: '{value}' is not a positive amount", f"e.g. {key}: 25"
            )
        else:
            found.append(float(value))
    return found[0], found[1]


def render(ws: Workspace, book: Ledger | None = None) -> list[str]:
    """The spend lines of `status` (none when nothing was spent and no budget is set)."""
    book = book or ledger(ws)
    plan_budget, task_budget = budgets(ws)
    if not book.attempts and plan_budget is None:
        return []
    against = f" of budget_usd ${plan_budget:.2f}" if plan_budget is not None else ""
    lines = [
        f"spend: ${book.total:.2f}{against} over {book.attempts} attempt(s), "
        f"{book.seconds // 60} min of worker time, {book.tokens} tokens"
    ]
    if book.by_day:
        days = ", ".join(f"{day} ${usd:.2f}" for day, usd in sorted(book.by_day.items()))
        lines.append(f"  per day: {days}")
    if book.by_task:
        top = sorted(book.by_task.items(), key=lambda item: (-item[1], item[0]))[:10]
        over = " (over task_budget_usd)" if task_budget is not None else ""
        shown = ", ".join(
            f"{tid} ${usd:.2f}" + (over if task_budget is not None and usd >= task_budget else "")
            for tid, usd in top
        )
        lines.append(f"  per task: {shown}")
    return lines


def as_json(ws: Workspace) -> dict:
    book = ledger(ws)
    plan_budget, task_budget = budgets(ws)
    return {
        "total_usd": round(book.total, 4),
        "budget_usd": plan_budget,
        "task_budget_usd": task_budget,
        "attempts": book.attempts,
        "seconds": book.seconds,
        "tokens": book.tokens,
        "by_task": {k: round(v, 4) for k, v in sorted(book.by_task.items())},
        "by_day": {k: round(v, 4) for k, v in sorted(book.by_day.items())},
    }
