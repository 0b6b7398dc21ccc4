"""Checks of one file on its own: conflict markers, duplicate keys, and the fields of a task, the
plan or a note (unknown keys with "did you mean", wrong types, values outside their lists)."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Collection
from itertools import chain, product
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentmd import clock
from agentmd.checks.kept import Seen
from agentmd.errors import Problem
from agentmd.files.frontmatter import FrontMatter, field_spans
from agentmd.workspace.records import PRIORITIES, TASK_FIELDS, Record, Settings

if TYPE_CHECKING:
    import datetime as dt

CONFLICT_RE = re.compile(r"^(<{7}|={7}|>{7})(?: |\r?$)", re.M)
LIST_FIELDS = ("depends_on", "inputs", "outputs", "verify", "tags", "resources")
PATH_FIELDS = ("inputs", "outputs")
PLAN_FIELDS = (
    "title", "goal", "context_window", "prompt_budget", "rules_budget", "statuses", "max_attempts",
    "lease", "verify_timeout",
    # many agents at once
    "coupling_window", "coupling_min", "worker", "slots", "worker_timeout", "merge", "worktrees",
    "branch", "review",
    # doors into the agent hosts
    "prime_budget",
    # one set of rules for every host
    "hosts",
    # the flywheel
    "memory_budget", "log_max_lines",
    "rules_budget_error",  # over rules_budget is an error, not a warning
    # the loop's integrated verify and per-worktree set-up
    "verify", "worktree_setup", "worktree_include",
    # a loop left running overnight
    "limit_patterns", "ports", "budget_usd", "task_budget_usd",
    "merge_conflicts", "verify_slots",
    # plans from elsewhere: the exported page `check` keeps an eye on
    "checklist",
)  # fmt: skip
GLOB_CHARS = frozenset("*?[")
TASK_KEYS = frozenset(TASK_FIELDS)


def conflict_markers(text: str, display: str) -> list[Problem]:
    """Lines git leaves from a conflicted merge; `=======` alone may be a heading underline."""
    if "<<<<<<<" not in text and ">>>>>>>" not in text:
        return []
    problems = []
    inside = False
    for match in CONFLICT_RE.finditer(text):
        marker = match.group(1)[0]
        if marker == "=" and not inside:
            continue
        inside = marker == "<" or (inside and marker == "=")
        line = text.count("\n", 0, match.start()) + 1
        problems.append(
            Problem(
                display,
                line,
                1,
                "conflict-marker",
                f"git conflict marker '{match.group(1)}'",
                "resolve the merge: keep the right lines and delete the markers",
            )
        )
    return problems


def duplicate_keys(fm: FrontMatter, display: str) -> list[Problem]:
    seen: dict[str, int] = {}
    problems = []
    for span in field_spans(fm.raw):
        line = fm.first_line + span.start
        if span.key in seen:
            problems.append(
                Problem(
                    display,
                    line,
                    1,
                    "duplicate-key",
                    f"'{span.key}' is set twice (first on line "
                    f"{seen[span.key]}); YAML keeps only this one",
                    "delete one of them",
                )
            )
        else:
            seen[span.key] = line
    return problems


def did_you_mean(word: str, choices) -> str | None:
    import difflib  # only when a key or value is wrong

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.75)
    return close[0] if close else None


def unknown_keys(
    fields: dict[str, Any], lines: dict[str, int], display: str, known
) -> list[Problem]:
    """A near miss of a known key is an error (it silently does nothing); another key, a warning."""
    unknown = fields.keys() - set(known)
    if not unknown:
        return []
    problems = []
    for key in fields:
        if key not in unknown:
            continue
        guess = did_you_mean(key, known)
        if guess:
            problems.append(
                Problem(
                    display,
                    lines.get(key, 1),
                    1,
                    "unknown-key",
                    f"unknown key '{key}' (did you mean '{guess}'?)",
                    f"rename it to '{guess}'",
                )
            )
        else:
            problems.append(
                Problem(
                    display,
                    lines.get(key, 1),
                    1,
                    "unknown-key",
                    f"unknown key '{key}'",
                    f"agentmd ignores it; known keys: {', '.join(known)}",
                    "warning",
                )
            )
    return problems


def _type_name(value: Any) -> str:
    return {
        dict: "a mapping",
        list: "a list",
        bool: "a boolean",
        int: "a number",
        float: "a number",
    }.get(type(value), "text" if isinstance(value, str) else type(value).__name__)


def _list_of_text(key: str, value: Any, line: int, display: str) -> list[Problem]:
    if value is None or isinstance(value, str):
        return []
    if isinstance(value, list) and all(type(item) is str for item in value):
        return []
    if not isinstance(value, list):
        return [
            Problem(
                display,
                line,
                1,
                "bad-type",
                f"'{key}' should be a list, not {_type_name(value)}",
                f"write {key}: [a, b], or one '- item' per line",
            )
        ]
    bad = [
        item for item in value if not isinstance(item, str | int | float) or isinstance(item, bool)
    ]
    if bad:
        number = value.index(bad[0]) + 1
        what = bad[0]
        shown = (
            f" (`{next(iter(what))}: {next(iter(what.values()))}`)"
            if isinstance(what, dict) and len(what) == 1
            else ""
        )
        return [
            Problem(
                display,
                line,
                1,
                "bad-type",
                f"'{key}' item {number}{shown} holds {_type_name(bad[0])} where text was expected",
                "quote an item that contains ': ', or write it on one line "
                "(agentmd check --fix quotes it)",
            )
        ]
    return []


def choice(key: str, value: Any, allowed, line: int, display: str) -> list[Problem]:
    """A value from a list; a case slip is its own (fixable) finding."""
    text = str(value).strip()
    if text in allowed:
        return []
    if text.lower() in allowed:
        return [
            Problem(
                display,
                line,
                1,
                f"{key}-case",
                f"{key} '{text}' should be written '{text.lower()}'",
                "agentmd check --fix rewrites it",
            )
        ]
    guess = did_you_mean(text.lower(), allowed)
    also = f" (did you mean '{guess}'?)" if guess else ""
    return [
        Problem(
            display,
            line,
            1,
            f"bad-{key}",
            f"{key} '{text}' is not one of {', '.join(allowed)}{also}",
            f"use one of {', '.join(allowed)}"
            + (" (plan.md's 'statuses' sets the list)" if key == "status" else ""),
        )
    ]


def check_task(
    display: str,
    fields: dict[str, Any],
    lines: dict[str, int],
    settings: Settings,
    guard: PathGuard,
    task_exists: Callable[[str], bool] | None = None,
) -> list[Problem]:
    # Called for each of 10,000 tasks by a full check. The common task (known keys, a text
    # title, a known status and priority, each list field a list of text) is told apart in a
    # few calls made in C; only another goes through each field's own check, which would find
    # nothing in the common one. The paths' verdicts are the guard's, one per distinct path.
    get = fields.get
    lists = list(map(get, LIST_FIELDS))
    if _common(fields, lists, settings.statuses):
        problems: list[Problem] = []
        deps, inputs, outputs = lists[0] or (), lists[1] or (), lists[2] or ()
    else:
        problems = _field_problems(display, fields, lines, settings)
        deps, inputs, outputs = _items(lists[0]), _items(lists[1]), _items(lists[2])
    line = lines.get
    if task_exists is not None and deps and not all(map(task_exists, deps)):
        for dep in deps:
            if not task_exists(dep):
                problems.append(
                    Problem(
                        display,
                        line("depends_on", 1),
                        1,
                        "dangling-dependency",
                        f"depends on '{dep}', which is not a task",
                        "fix the id, or add the task (agentmd add)",
                    )
                )
    # A task's inputs are often other tasks' too: each is judged once (the guard keeps the
    # verdicts). Its outputs are its own: judged by their folders, when they can be.
    if not guard.clean.issuperset(inputs):
        problems += _escaping(display, "inputs", inputs, line("inputs", 1), guard)
    if not guard.fine(outputs):
        problems += _escaping(display, "outputs", outputs, line("outputs", 1), guard)
    if inputs and not deps and not guard.present.issuperset(inputs):
        if str(get("status") or "todo").strip().lower() == "todo":
            problems += _missing_inputs(display, inputs, line("inputs", 1), guard)
    return problems


def check_tasks(
    records: list[Record],
    display: Callable[[str], str],
    settings: Settings,
    guard: PathGuard,
    task_exists: Callable[[str], bool] | None = None,
) -> dict[str, list[Problem]]:
    """`check_task` of each record, by its path: those with no finding left out. One loop, what
    the tasks share at hand: the common task (see check_task) costs no call of its own, and a
    task with a finding but a missing input is given to check_task itself."""
    found: dict[str, list[Problem]] = {}
    statuses = settings.statuses
    clean, fine, present = guard.clean.issuperset, guard.fine, guard.present.issuperset
    for record in records:
        fields = record.fields
        get = fields.get
        lists = list(map(get, LIST_FIELDS))
        if _common(fields, lists, statuses):
            deps, inputs = lists[0], lists[1] or ()
            if (
                (not deps or task_exists is None or all(map(task_exists, deps)))
                and clean(inputs)
                and fine(lists[2] or ())
            ):
                if not inputs or deps or present(inputs):
                    continue
                if str(get("status") or "todo").strip().lower() != "todo":
                    continue
                missing = _missing_inputs(
                    display(record.path), inputs, record.lines.get("inputs", 1), guard
                )
                if missing:
                    found[record.path] = missing
                continue
        problems = check_task(
            display(record.path), fields, record.lines, settings, guard, task_exists
        )
        if problems:
            found[record.path] = problems
    return found


def _common(fields: dict[str, Any], lists: list, statuses: tuple[str, ...]) -> bool:
    """The common task: known keys, a text title, a known status and priority, each list field
    (`lists`, in LIST_FIELDS order) a list of text; its fields' own checks would find nothing."""
    get = fields.get
    attempts = get("attempts")
    return (
        fields.keys() <= TASK_KEYS
        and _plain_lists(lists)
        and type(get("title", "")) is str
        and get("status", "todo") in statuses
        and get("priority", "medium") in PRIORITIES
        and (attempts is None or type(attempts) is int and attempts >= 0)
    )


def _field_problems(
    display: str, fields: dict[str, Any], lines: dict[str, int], settings: Settings
) -> list[Problem]:
    """Each field of a task checked on its own: keys, types, values outside their lists."""
    problems = (
        unknown_keys(fields, lines, display, TASK_FIELDS) if not fields.keys() <= TASK_KEYS else []
    )
    line = lines.get
    title = fields.get("title")
    if title is not None and not isinstance(title, str | int | float):
        problems.append(
            Problem(
                display,
                line("title", 1),
                1,
                "bad-type",
                f"'title' should be text, not {_type_name(title)}",
                "quote it",
            )
        )
    status = fields.get("status")
    if status is not None and status not in settings.statuses:
        problems += choice("status", status, settings.statuses, line("status", 1), display)
    priority = fields.get("priority")
    if priority is not None and priority not in PRIORITIES:
        problems += choice("priority", priority, PRIORITIES, line("priority", 1), display)
    for key in LIST_FIELDS:
        value = fields.get(key)
        if value is not None and not (type(value) is list and _all_text(value)):
            problems += _list_of_text(key, value, line(key, 1), display)
    attempts = fields.get("attempts")
    if attempts is not None and (
        isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 0
    ):
        problems.append(
            Problem(
                display,
                line("attempts", 1),
                1,
                "bad-type",
                "'attempts' should be a whole number >= 0",
            )
        )
    return problems


def _escaping(display: str, key: str, paths, line: int, guard: PathGuard) -> list[Problem]:
    found = []
    for path in paths:
        why = guard.reason(path)
        if why:
            found.append(
                Problem(
                    display,
                    line,
                    1,
                    "path-escapes",
                    f"{key} '{path}' {why}",
                    "name paths relative to the repository root, inside it",
                )
            )
    return found


def _missing_inputs(display: str, inputs, line: int, guard: PathGuard) -> list[Problem]:
    """An input that names one file (no glob) which is not there, on a task not started yet
    and waiting on no other task (which might create it): its prompt points at nothing."""
    return [
        Problem(
            display,
            line,
            1,
            "input-missing",
            f"inputs '{path}' does not exist",
            "fix the path (from the repository root), or make it a glob if it may be missing",
            "warning",
        )
        for path in inputs
        if guard.missing(path)
    ]


def _plain_lists(values: list) -> bool:
    """Each value absent or a list whose every item is text: the values' types looked up at once,
    the items joined in C (a task's list fields)."""
    if tuple(map(type, values)) not in _LIST_SHAPES:
        return False
    try:
        "".join(chain.from_iterable(filter(None, values)))
    except TypeError:  # an item that is not text
        return False
    return True


_LIST_SHAPES = frozenset(product((list, type(None)), repeat=len(LIST_FIELDS)))


def _all_text(items: list) -> bool:
    """Every item a str: the types' set built in C (10,000 tasks hold 40,000 lists)."""
    return not items or set(map(type, items)) == _TEXT_ONLY


_TEXT_ONLY = {str}


def _items(value: Any) -> list[str]:
    if type(value) is list and _all_text(value):
        return value  # the common case, as the general one below would give it
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [
            str(item)
            for item in value
            if isinstance(item, str | int | float) and not isinstance(item, bool)
        ]
    return []


class PathGuard:
    """Says whether a task's path leaves the repository, and whether an input is missing; resolves
    each folder once, and gives each distinct path its verdict once (10,000 tasks share inputs):
    the files are taken as they were when first asked about."""

    def __init__(self, root: Path | None):
        self.root = str(root) if root is not None else ""
        self.top = os.path.realpath(root) if root is not None else ""
        self._outside: dict[str, str | None] = {}  # folder -> where it really is, when outside
        self._exists: dict[str, bool] = {}  # a file in a missing folder cannot be a symlink
        self._reasons: dict[str, str | None] = {}  # path -> `reason`
        self._missing: dict[str, bool] = {}  # path -> `missing`
        self.clean: set[str] = set()  # the paths asked about that have no reason
        self.present: set[str] = set()  # the paths asked about that are not missing
        self._gone: set[str] = set()  # the folders inside that are not there

    def _escaped(self, real: str) -> bool:
        return not (real == self.top or real.startswith(self.top + os.sep))

    def fine(self, paths: Collection[str]) -> bool:
        """Whether `reason` has nothing to say of any of `paths`, when that is known without
        asking it of each: each asked before, or each plain (relative, no '..', no space or
        backslash) in a folder that is not there (nor a symlink out). Decided in C but for each
        distinct folder: a task's outputs are its own, 20,000 paths at 10,000 tasks."""
        if self.clean.issuperset(paths):
            return True
        joined = "/".join(paths)  # a path that starts with '/' shows as '//'
        if (
            ".." in joined
            or "//" in joined
            or ":" in joined
            or "\\" in joined
            or " " in joined
            or not joined.isprintable()  # any other white space
            or joined[:1] == "/"
        ):
            return False
        if not self.root:
            return True  # `reason` can say nothing of a plain path
        folders = {path.rpartition("/")[0] for path in paths}
        if self._gone.issuperset(folders):
            return True
        for folder in folders - self._outside.keys():
            self._folder(folder)
        return self._gone.issuperset(folders)

    def _folder(self, folder: str) -> None:
        real = os.path.realpath(f"{self.root}/{folder}")
        self._outside[folder] = real if self._escaped(real) else None
        self._exists[folder] = os.path.isdir(real)
        if self._outside[folder] is None and not self._exists[folder]:
            self._gone.add(folder)

    def reason(self, path: str) -> str | None:
        """Why a task may not name `path` (absolute, climbs out, a symlink out), or None."""
        why = self._reasons.get(path, _UNKNOWN)
        if why is _UNKNOWN:
            why = self._reasons[path] = self._reason(path)
            if why is None:
                self.clean.add(path)
        return why  # type: ignore[return-value]

    def seen(self) -> Seen:
        """What this guard found on disk: each path's `missing` and `reason` answers, and each
        folder's place (where it really is when outside, else None) and whether it is one."""
        folders = {folder: (out, self._exists[folder]) for folder, out in self._outside.items()}
        return Seen(self._missing, self._reasons, folders)

    def moved(self, seen: Seen) -> tuple[set[str], set[str]]:
        """The paths, and the folders, that are not now as `seen` (another guard's) says: a
        file that came or went, a path or a folder that became a symlink out, or back."""
        folders = set()
        for folder, was in seen.folders.items():
            if folder not in self._outside:
                self._folder(folder)
            if (self._outside[folder], self._exists[folder]) != was:
                folders.add(folder)
        paths = {path for path, why in seen.reasons.items() if self.reason(path) != why}
        paths.update(path for path, gone in seen.missing.items() if self.missing(path) != gone)
        return paths, folders

    def missing(self, path: str) -> bool:
        """`path` names one file (no glob), inside the repository, that is not there."""
        known = self._missing.get(path)
        if known is not None:
            return known
        gone = bool(self.root) and not (
            not GLOB_CHARS.isdisjoint(path)
            or self.reason(path)
            or os.path.lexists(os.path.join(self.root, path.strip().removeprefix("./")))
        )
        self._missing[path] = gone
        if not gone:
            self.present.add(path)
        return gone

    def _reason(self, path: str) -> str | None:
        if (path[:1] in ("/", "\\", " ") or ".." in path or path[1:2] == ":") and _escapes(path):
            return (
                "is absolute"
                if path.strip().startswith("/") or path.strip()[1:2] == ":"
                else "climbs out of the repository with '..'"
            )
        if not self.root or not GLOB_CHARS.isdisjoint(path):
            return None
        folder, _, name = path.strip().rpartition("/")
        if folder not in self._outside:
            self._folder(folder)
        real_folder = self._outside[folder]
        if real_folder is None and not self._exists[folder]:
            return None
        full = f"{self.root}/{path.strip()}"
        if real_folder is None and os.path.islink(full):
            real = os.path.realpath(full)
            real_folder = real if self._escaped(real) else None
            name = ""
        if real_folder is None:
            return None
        where = f"{real_folder}/{name}" if name else real_folder
        return f"is a symlink that points outside the repository (to {where})"


_UNKNOWN = object()


def _escapes(path: str) -> bool:
    from agentmd.files import globs

    return globs.escapes_repo(path)


def lease_expired(
    display: str,
    fields: dict[str, Any],
    lines: dict[str, int],
    settings: Settings,
    now: dt.datetime,
) -> list[Problem]:
    if str(fields.get("status") or "").strip().lower() != "active" or not fields.get("claimed_at"):
        return []
    lease = clock.parse_duration(fields.get("lease") or settings.lease)
    claimed = clock.parse_stamp(fields["claimed_at"])
    if claimed is None:
        return [
            Problem(
                display,
                lines.get("claimed_at", 1),
                1,
                "bad-type",
                "'claimed_at' is not a date and time",
                "write it as 2026-11-20T10:00:00Z",
            )
        ]
    if not clock.expired(clock.expiry(claimed, lease), now):
        return []
    who = fields.get("claimed_by") or "someone"
    return [
        Problem(
            display,
            lines.get("claimed_at", 1),
            1,
            "lease-expired",
            f"the claim by {who} at {fields['claimed_at']} expired "
            f"after {fields.get('lease') or settings.lease}",
            "the agent may be gone: 'agentmd release' frees the task, 'agentmd claim' renews it",
            "warning",
        )
    ]


def check_plan(display: str, fields: dict[str, Any], lines: dict[str, int]) -> list[Problem]:
    problems = []
    if not fields.keys() <= set(PLAN_FIELDS):  # the model's keys: the API client is big to load
        from agentmd.api.client import PLAN_FIELDS as MODEL_FIELDS

        problems = unknown_keys(fields, lines, display, PLAN_FIELDS + MODEL_FIELDS)
    for key in ("context_window", "rules_budget", "max_attempts", "prime_budget"):
        value = fields.get(key)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value <= 0
        ):
            problems.append(
                Problem(
                    display,
                    lines.get(key, 1),
                    1,
                    "bad-type",
                    f"'{key}' should be a whole number > 0",
                )
            )
    for key in ("prompt_budget", "verify_timeout"):
        value = fields.get(key)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int | float) or value <= 0
        ):
            hint = (
                "a share of context_window (0.6) or a number of tokens"
                if key == "prompt_budget"
                else "seconds"
            )
            problems.append(
                Problem(
                    display,
                    lines.get(key, 1),
                    1,
                    "bad-type",
                    f"'{key}' should be a number > 0",
                    hint,
                )
            )
    problems += _list_of_text("statuses", fields.get("statuses"), lines.get("statuses", 1), display)
    lease = fields.get("lease")
    if lease is not None and clock.parse_duration(lease) is None:
        problems.append(
            Problem(
                display,
                lines.get("lease", 1),
                1,
                "bad-lease",
                f"lease '{lease}' is not a duration",
                "write it as 2h, 30m, 1d or 1h30m",
            )
        )
    return problems


def check_note(display: str, fields: dict[str, Any], lines: dict[str, int]) -> list[Problem]:
    problems = []
    for key in ("applies_to", "tags"):
        problems += _list_of_text(key, fields.get(key), lines.get(key, 1), display)
    always = fields.get("always")
    if always is not None and not isinstance(always, bool):
        problems.append(
            Problem(
                display,
                lines.get("always", 1),
                1,
                "bad-type",
                f"'always' should be true or false, not '{always}'",
            )
        )
    return problems
