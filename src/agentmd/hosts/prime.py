"""`agentmd prime`: what a session starts with, measured against its budget and never cut.

A session that holds a task (session.held_task) gets that task's prompt as `next` compiles it,
and the task's latest handoff when there is one (it is resuming). Any other session gets a short
orientation: the goal in a line, what is active and by whom, the top ready tasks, and the three
commands. Whatever does not fit the budget is left out whole and named at the end, the way the
prompt compiler's footer names what it dropped: a host that caps what it injects (Claude Code
keeps about 10,000 characters of a hook's context) is given `max_chars`, and prime fits under
it instead of being cut by the host.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from agentmd.errors import LocatedError

if TYPE_CHECKING:  # imported where used: a remembered prime needs none of them
    from agentmd.hosts.session import Held
    from agentmd.prompt.tokens import Counter
    from agentmd.workspace.folder import Workspace

TOP_READY = 5
MOST_ACTIVE = 10
COMMANDS = (
    "## How to work here\n\n"
    "- Claim the next task and read its prompt: `agentmd next --claim --as NAME`\n"
    "- Hand off before you stop: `agentmd handoff new ID`, fill it, `agentmd handoff check`\n"
    '- Finish: `agentmd done ID` (or `agentmd fail ID --reason "..."`)'
)


@dataclass
class Primed:
    kind: str  # "task" | "orientation"
    text: str
    tokens: int
    budget: int
    task: str | None = None
    found_by: str | None = None
    dropped: list[tuple[str, int]] = field(default_factory=list)  # (what, tokens)

    def as_json(self) -> dict:
        return {
            "kind": self.kind,
            "task": self.task,
            "found_by": self.found_by,
            "text": self.text,
            "tokens": self.tokens,
            "budget": self.budget,
            "dropped": [{"item": name, "tokens": tokens} for name, tokens in self.dropped],
        }


def prime(
    ws: Workspace,
    owner: str | None = None,
    *,
    max_chars: int | None = None,
    env: dict | None = None,
    counter: Counter | None = None,
) -> Primed:
    from agentmd.hosts.session import held_task
    from agentmd.prompt.tokens import ESTIMATE

    counter = counter or ESTIMATE
    held = held_task(ws, owner, env)
    if held is not None:
        return _task(ws, held, max_chars, counter)
    return orientation(ws, max_chars, counter)


def remembered(
    ws: Workspace, owner: str | None, max_chars: int | None, as_json: bool = False
) -> str:
    """prime's text (or its JSON), reused while nothing under .agents/ changed: a session start
    then costs a scan of the folder (workspace.memo)."""
    import json

    from agentmd import JSON_SCHEMA
    from agentmd.hosts.prime_key import memo_key
    from agentmd.workspace import memo

    key = memo_key(ws, owner, max_chars, as_json)
    if (hit := memo.recall(ws, key)) is not None:
        return hit[0]
    primed = prime(ws, owner, max_chars=max_chars)
    output = primed.text
    if as_json:
        data = {"schema": JSON_SCHEMA, **primed.as_json()}
        output = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    memo.remember(ws, key, output, "")
    return output


# -- a held task -----------------------------------------------------------------------------


def _task(ws: Workspace, held: Held, max_chars: int | None, counter: Counter) -> Primed:
    budget = ws.settings.prompt_budget
    # Within the host's limit too: the estimate counts about 3 characters a token.
    limit = budget if max_chars is None else min(budget, max_chars // 3)
    while True:
        primed = _fit(ws, held, limit, counter)
        if primed is None:
            return _too_large(ws, held, budget, limit, max_chars, counter)
        if max_chars is None or len(primed.text) <= max_chars:
            return primed
        limit = int(limit * max_chars / len(primed.text) * 0.95)  # longer words: tighten


def _fit(ws: Workspace, held: Held, limit: int, counter: Counter) -> Primed | None:
    """The prompt and the latest handoff in `limit` tokens; else the prompt, the handoff named;
    None when even the prompt's required parts do not fit."""
    from agentmd.prompt import compiler

    intro = _intro(held) + unreadable(ws)
    handoff = _latest_handoff(ws, held.task.id)
    tries = [handoff[1]] if handoff else []
    if handoff:
        tokens = counter.count(handoff[1])
        tries.append(
            f"Left out to fit: the latest handoff, {handoff[0]} (~{tokens:,} tokens). "
            "Read it first: it says where the last session stopped.\n"
        )
    for tail in tries or [""]:
        room = limit - counter.count(intro + tail) - 2  # the joins between the parts
        if room <= 0:
            continue
        try:
            result = compiler.compile_prompt(ws, held.task, room, counter)
        except compiler.TooLarge:
            continue
        dropped = [(f"{item.part}: {item.name}", item.tokens) for item in result.dropped]
        if handoff and tail != handoff[1]:
            dropped.append((f"latest handoff {handoff[0]}", counter.count(handoff[1])))
        text = intro + result.prompt.rstrip("\n") + ("\n\n" + tail if tail else "\n")
        return Primed("task", text, counter.count(text), limit, held.task.id, held.how, dropped)
    return None


def _intro(held: Held) -> str:
    others = (
        f" You also hold: {', '.join(held.others)}; this is your newest claim."
        if held.others
        else ""
    )
    return f"agentmd: this session holds task `{held.task.id}` ({held.how}).{others}\n\n"


def unreadable(ws: Workspace) -> str:
    """A line naming the files under .agents/ that cannot be read (never skipped in silence)."""
    paths = sorted({p.path for p in ws.problems})
    if not paths:
        return ""
    shown = ", ".join(paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
    return f"Cannot be read: {shown} (`agentmd check` says where and why).\n\n"


def _latest_handoff(ws: Workspace, task_id: str) -> tuple[str, str] | None:
    latest = ws.latest_handoffs.get(task_id)
    if latest is None:
        return None
    display = ws.display(latest.path)
    try:
        body = ws.read(latest.path).body.strip("\n")
    except LocatedError as exc:  # named, not skipped
        body = f"It cannot be read: {exc.problem.render()}"
    return display, f"## Where the last session stopped ({display})\n\n{body}\n"


def _too_large(
    ws: Workspace, held: Held, budget: int, limit: int, max_chars: int | None, counter: Counter
) -> Primed:
    """The task's prompt cannot fit even with everything optional left out: say so, whole."""
    task = held.task
    where = f"this host's {max_chars:,} characters" if max_chars else f"{budget:,} tokens"
    read = (
        "Read it in full in the shell: `agentmd prime`, or the task file "
        f"`{ws.display(task.path)}`. If it is too large for any session, decompose it."
        if max_chars
        else f"Decompose it: split `{ws.display(task.path)}` into smaller tasks."
    )
    text = (
        _intro(held) + f"The prompt for `{task.id}` does not fit in {where}, even with "
        f"everything optional left out. {read}\n"
    )
    return Primed("task", text, counter.count(text), limit, task.id, held.how, [("task prompt", 0)])


# -- the orientation -------------------------------------------------------------------------


def orientation(
    ws: Workspace, max_chars: int | None = None, counter: Counter | None = None
) -> Primed:
    from agentmd.prompt.tokens import ESTIMATE
    from agentmd.tasks import graph

    counter = counter or ESTIMATE
    budget = int(ws.settings.raw.get("prime_budget") or 2000)
    if max_chars is not None:
        budget = min(budget, max_chars // 3)
    tasks = ws.tasks
    plan = graph.analyse(tasks)
    active = sorted((t for t in tasks.values() if t.status == "active"), key=lambda t: t.id)
    head = f"# {ws.settings.title or 'This project'}: where the work stands (agentmd)\n\n"
    goal = _goal_line(ws)
    head += (f"Goal: {goal}\n\n" if goal else "") + (
        "This session holds no task. Claim one before you change files.\n"
    )
    head += "\n" + unreadable(ws) if ws.problems else ""
    ready = [f"- `{c.task.id}` ({c.task.priority}): {c.task.title}" for c in plan.ready[:TOP_READY]]
    held = [
        f"- `{t.id}`: {t.claimed_by or 'no owner'}"
        + (f", since {t.claimed_at}" if t.claimed_at else "")
        for t in active[:MOST_ACTIVE]
    ]
    if not tasks:
        idle = "There are no tasks yet: `agentmd add TITLE` writes one."
    elif all(t.status == "done" for t in tasks.values()):
        idle = f"Nothing is left: every task is done ({len(tasks):,})."
    else:
        idle = "Nothing is ready (`agentmd next --explain` says why)."
    dropped: list[tuple[str, int]] = []
    more_ready = len(plan.ready) - len(ready)
    more_active = len(active) - len(held)
    if more_ready > 0:
        dropped.append((f"{more_ready:,} more ready tasks", 0))
    if more_active > 0:
        dropped.append((f"{more_active:,} more active tasks", 0))
    while True:
        text = _assemble(head, held, len(active), ready, len(plan.ready), dropped, idle)
        tokens = counter.count(text)
        if tokens <= budget and (max_chars is None or len(text) <= max_chars):
            break
        # Over budget: the last line of the longer list goes first, and is counted as dropped.
        if not ready and not held:
            break  # the header and the commands are the least an orientation is
        victim = ready if len(ready) >= len(held) else held
        line = victim.pop()
        _count_dropped(dropped, "ready" if victim is ready else "active", counter.count(line))
    return Primed("orientation", text, tokens, budget, None, None, dropped)


def _count_dropped(dropped: list[tuple[str, int]], kind: str, tokens: int) -> None:
    for n, (name, cost) in enumerate(dropped):
        if name.endswith(f"more {kind} tasks"):
            count = int(name.split()[0].replace(",", "")) + 1
            dropped[n] = (f"{count:,} more {kind} tasks", cost + tokens)
            return
    dropped.append((f"1 more {kind} tasks", tokens))


def _assemble(
    head: str, held: list[str], n_active: int, ready: list[str], n_ready: int, dropped, idle: str
) -> str:
    parts = [head.rstrip("\n")]
    if n_active:
        parts.append(f"## Active ({n_active:,})\n\n" + "\n".join(held) if held else "")
    parts.append(
        f"## Ready ({n_ready:,}), in the order `agentmd next` takes them\n\n" + "\n".join(ready)
        if ready
        else (
            f"## Ready\n\n{idle}"
            if not n_ready
            else f"## Ready ({n_ready:,})"
        )
    )
    parts.append(COMMANDS)
    text = "\n\n".join(part for part in parts if part) + "\n"
    if dropped:
        left = "; ".join(name for name, _ in dropped)
        text += f"\nNot shown: {left} (`agentmd status` shows them all).\n"  # (cap or budget)
    return text


def _goal_line(ws: Workspace) -> str:
    goal = str(ws.settings.goal or "").strip()
    if not goal and (ws.agents / "plan.md").exists():
        try:
            doc = ws.read("plan.md")
        except LocatedError:
            return ""
        section = doc.section("Goal", "Goals", "Objective", "Overview")
        goal = section.full if section else ""
    line = _first_paragraph(goal)
    if line and line == _template_goal():
        return "(plan.md's ## Goal still holds the template's text: write the project's goal there)"
    return line


def _first_paragraph(text: str) -> str:
    paragraph = text.strip().split("\n\n", 1)[0] if text.strip() else ""
    return " ".join(line.strip() for line in paragraph.splitlines() if line.strip())


def _template_goal() -> str:
    """The Goal `agentmd init` writes, left as it is in a fresh plan."""
    from importlib import resources

    text = (resources.files("agentmd.templates") / "base" / "plan.md").read_text(encoding="utf-8")
    return _first_paragraph(text.split("## Goal", 1)[1]) if "## Goal" in text else ""
