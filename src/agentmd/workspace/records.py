"""Typed views of the files in .agents/: settings, tasks, handoffs, memory notes and rules."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from agentmd import AGENTS_DIR
from agentmd.errors import Problem

STATUSES = ("todo", "active", "review", "done", "failed", "blocked")
PRIORITIES = ("high", "medium", "low")
HANDOFF_STATUSES = ("done", "partial", "blocked", "failed")

TASK_FIELDS = (
    "title", "status", "priority", "depends_on", "inputs", "outputs", "verify", "created",
    "tags", "claimed_by", "claimed_at", "lease", "base", "attempts", "blocked_reason",
    "verified", "owner", "verified_commit", "verified_at", "verify_exit", "awaiting_merge",
    "verified_clean",
    "resources", "planned_at",
    "source", "imported_as", "pull_request",  # imported tasks, pull requests
)  # fmt: skip
PLAN_DEFAULTS: dict[str, Any] = {
    "context_window": 200_000,
    "prompt_budget": 0.6,
    "rules_budget": 500,
    "statuses": list(STATUSES),
    "max_attempts": 3,
    "lease": "2h",
    # many agents at once (docs/conventions.md, "Leases, parallel work and the loop")
    "coupling_window": 500,
    "coupling_min": 3,
    "worker": "",
    "slots": 1,
    "worker_timeout": "1h",
    "merge": "auto",
    "merge_conflicts": "back",  # or worker: a worker resolves a rebase that conflicts
    "verify_slots": None,  # verify runs at once across the loop's worktrees; None: no cap
    "worktrees": f"{AGENTS_DIR}/.cache/worktrees/{{id}}",
    "branch": "agentmd/{id}",
    # doors into the agent hosts: what `agentmd prime` prints when no task is held
    "prime_budget": 2000,
    # the hosts `rules build` writes for and `check` models (docs/hosts.md); [] = detect them
    "hosts": [],
    # the flywheel: memory that stays small
    "memory_budget": 4000,
    "log_max_lines": 5000,
}


# The built-in task template's Goal, left as written: the index marks a task file holding it so
# that `check` reads it again (scaffold.unfilled says which sections are still the template's).
TASK_GOAL_PROMPT = "What must be true when this task is done, and why it matters."
# The built-in template's prompts: a task holding one is read again by `check`.
TASK_PROMPTS = (TASK_GOAL_PROMPT, "- [ ] A concrete, checkable outcome")


class Record(NamedTuple):
    """What the index keeps of one front-mattered file (cached across runs)."""

    path: str  # relative to .agents/, with '/'
    fields: dict[str, Any]
    lines: dict[str, int]  # field -> 1-based line
    body_line: int
    problem: Problem | None = None  # set when the file could not be read
    suspect: bool = (
        False  # conflict markers, or a key that may be set twice: `check` reads it again
    )
    digest: bytes = b""  # the file's git blob id, 20 bytes: a handoff's reading is kept by it

    @property
    def stem(self) -> str:
        path = self.path  # asked 50,000 times by a check of 10,000 tasks: no list built
        name = path[path.rfind("/") + 1 :]
        return name[:-3] if name.endswith(".md") else name

    def line(self, key: str) -> int:
        return self.lines.get(key, 1)


def as_list(value: Any) -> tuple[str, ...]:
    """A field that should be a list of strings, read leniently: one string is a list of one."""
    if value is None:
        return ()
    if type(value) is list:
        try:
            "".join(value)  # every item a string: checked in C, the common case
            return tuple(value)
        except TypeError:
            return tuple(str(item) for item in value if item is not None)
    return (str(value),)


def as_strings(value: Any) -> Sequence[str]:
    """`as_list`, but a list that holds strings only is handed back itself, not copied: a
    Task's lists are its record's (10,000 tasks' copies are 1.4 MB). Never edit what it
    returns; compare it with `list(...)` or `tuple(...)`, as it may be either."""
    if type(value) is list:
        try:
            "".join(value)  # every item a string: checked in C, the common case
            return value
        except TypeError:
            pass
    return as_list(value)


# The usual values, lower-cased once: 10,000 tasks' own copies of "todo" are half a megabyte.
_LOWERED = {word: word for word in (*STATUSES, *PRIORITIES, *HANDOFF_STATUSES)}


def _lower(value: Any, default: str) -> str:
    """A status or priority, stripped and lower-cased (`default` when empty)."""
    known = _LOWERED.get(value) if type(value) is str else None
    if known is not None:
        return known
    if type(value) is str and value:
        lowered = value.strip().lower()
    else:
        lowered = as_text(value or default).lower()
    return _LOWERED.get(lowered, lowered)


def _lowered(value: Any) -> str:
    """A handoff's status, lower-cased as written (not stripped: `check` says it is unknown)."""
    status = as_text(value).lower()
    return _LOWERED.get(status, status)


def as_text(value: Any) -> str:
    return "" if value is None else value if type(value) is str else str(value)


class Settings(NamedTuple):
    context_window: int
    prompt_budget: int  # tokens
    rules_budget: int
    statuses: tuple[str, ...]
    max_attempts: int
    lease: str
    title: str
    goal: str
    raw: dict[str, Any]

    @classmethod
    def from_fields(cls, fields: dict[str, Any]) -> Settings:
        values = {**PLAN_DEFAULTS, **{k: v for k, v in fields.items() if v is not None}}

        def number(key: str) -> float:
            value = values[key]
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                return PLAN_DEFAULTS[key]
            return value

        window = int(number("context_window"))
        share = number("prompt_budget")
        budget = int(window * share) if share <= 1 else int(share)
        statuses = tuple(str(s).lower() for s in as_list(values["statuses"])) or STATUSES
        statuses = tuple(dict.fromkeys(statuses + tuple(s for s in STATUSES if s not in statuses)))
        return cls(
            context_window=window,
            prompt_budget=budget,
            rules_budget=int(number("rules_budget")),
            statuses=statuses,
            max_attempts=int(number("max_attempts")),
            lease=as_text(values["lease"]),
            title=as_text(values.get("title")),
            goal=as_text(values.get("goal")),
            raw=values,
        )


class Task(NamedTuple):
    """A task as its file says, normalised. What is read in every ranking and check is held;
    the rest is read from the record when asked (10,000 tasks' six more slots are 0.5 MB)."""

    id: str
    title: str
    status: str  # lower-cased
    priority: str
    # each its record's own list where the file wrote one of strings (`as_strings`)
    depends_on: Sequence[str]
    inputs: Sequence[str]
    outputs: Sequence[str]
    verify: Sequence[str]
    record: Record
    broken: bool = False  # the file could not be read: never ready, blocks its dependents

    @classmethod
    def from_record(
        cls, record: Record, names: dict[str, str] | None = None, stem: str | None = None
    ) -> Task:
        """`names`: the strings other tasks name theirs by, for its id to be one of them;
        `stem`: its record's, when the caller has it (10,000 tasks ask it once each)."""
        f = record.fields
        get = f.get
        if stem is None:
            stem = record.stem
        if names is not None:
            stem = names.get(stem, stem)
        status = get("status")
        priority = get("priority")
        title = get("title")
        lists = (get("depends_on"), get("inputs"), get("outputs"), get("verify"))
        # The usual task: each a list of strings, checked in C and held as it is
        plain = False
        if list is type(lists[0]) is type(lists[1]) is type(lists[2]) is type(lists[3]):
            try:
                "".join(lists[0]), "".join(lists[1]), "".join(lists[2]), "".join(lists[3])
                plain = True
            except TypeError:
                pass
        if not plain:
            lists = tuple(as_strings(value) for value in lists)  # type: ignore[assignment]
        return _make_tuple(
            cls,
            (
                stem,
                title if type(title) is str and title else as_text(title) or stem,
                type(status) is str and _LOWERED.get(status) or _lower(status, "todo"),
                type(priority) is str and _LOWERED.get(priority) or _lower(priority, "medium"),
                *lists,
                record,
                record.problem is not None,
            ),
        )

    @property
    def path(self) -> str:
        return self.record.path

    @property
    def created(self) -> str:
        return as_text(self.record.fields.get("created"))

    @property
    def claimed_by(self) -> str:
        return as_text(self.record.fields.get("claimed_by"))

    @property
    def claimed_at(self) -> str:
        return as_text(self.record.fields.get("claimed_at"))

    @property
    def base(self) -> str:
        return as_text(self.record.fields.get("base"))

    @property
    def attempts(self) -> int:
        attempts = self.record.fields.get("attempts")
        return attempts if type(attempts) is int else 0

    @property
    def paths(self) -> tuple[str, ...]:
        return (*self.inputs, *self.outputs)

    @property
    def resources(self) -> tuple[str, ...]:
        """Exclusive resources it needs ([db], [gpu]): one task holds each at a time."""
        return as_list(self.record.fields.get("resources"))

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "status": self.status,
            "priority": self.priority,
            "depends_on": list(self.depends_on),
            "inputs": list(self.inputs),
            "outputs": list(self.outputs),
            "verify": list(self.verify),
            "created": self.created or None,
            "claimed_by": self.claimed_by or None,
            "claimed_at": self.claimed_at or None,
            "base": self.base or None,
            "attempts": self.attempts,
            "path": f"{AGENTS_DIR}/{self.path}",
        }


class Handoff(NamedTuple):
    path: str
    task: str
    status: str
    base: str
    record: Record

    @classmethod
    def from_record(cls, record: Record) -> Handoff:
        get = record.fields.get
        status = get("status")
        task = get("task")
        base = get("base")
        return _make_tuple(  # (tuple.__new__: a cold `next` builds 3,000)
            cls,
            (
                record.path,
                task if type(task) is str else as_text(task),
                type(status) is str and _LOWERED.get(status) or _lowered(status),
                base if type(base) is str else as_text(base),
                record,
            ),
        )


class Note(NamedTuple):
    """A decision, a gotcha, or a rule: Markdown guidance routed to tasks by globs or tags."""

    kind: str  # decision | gotcha | rule
    path: str
    title: str
    applies_to: tuple[str, ...]
    tags: tuple[str, ...]
    always: bool
    date: str
    record: Record

    @classmethod
    def from_record(cls, kind: str, record: Record) -> Note:
        f = record.fields
        return cls(
            kind=kind,
            path=record.path,
            title=as_text(f.get("title")) or record.stem,
            applies_to=as_list(f.get("applies_to")),
            tags=as_list(f.get("tags")),
            always=f.get("always") is True,
            date=as_text(f.get("date") or f.get("created")),
            record=record,
        )


_make_tuple = tuple.__new__  # a NamedTuple's own constructor is a Python call: 10,000 show
