"""`agentmd check`: every finding in .agents/ and the always-loaded files, or in the paths given."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from operator import attrgetter, methodcaller
from pathlib import Path

from agentmd import AGENTS_DIR, clock
from agentmd.checks import fields
from agentmd.checks.budgets import (
    ALWAYS_LOADED,
    SKIP_DIRS,
    always_loaded,
    budget_problems,
    prompt_problems,
)
from agentmd.checks.kept import KeptFindings
from agentmd.errors import LocatedError, Problem
from agentmd.files import document, frontmatter, textfile
from agentmd.handoffs.judge import WorkTree, check_document, judge
from agentmd.handoffs.latest import rule_problems, verdict
from agentmd.handoffs.names import sections_of
from agentmd.handoffs.reading import READINGS, Readings
from agentmd.memory.notes import memory_problems
from agentmd.prompt.tokens import Counter
from agentmd.rules.measure import host_problems, without_built_rules
from agentmd.tasks import graph
from agentmd.tasks.moved import check_warnings
from agentmd.tasks.provenance import done_in_source
from agentmd.workspace.folder import Workspace
from agentmd.workspace.records import PLAN_DEFAULTS, Settings

TEXT_SUFFIXES = (".md", ".mdc", ".markdown", ".yml", ".yaml", ".json", ".txt")
HANDOFF_NAME_RE = re.compile(r"hand-?off|handover", re.I)
REVIEWS = "reviews"  # api/findings_file.py's FOLDER, where `agentmd review` writes


@dataclass(frozen=True)
class Report:
    problems: list[Problem]
    checked: int  # files looked at


# -- the whole workspace ---------------------------------------------------------------------


def check_workspace(ws: Workspace, counter: Counter, *, errors_only: bool = False) -> Report:
    """Every pass over the workspace, in the order their findings are listed. `errors_only`
    (the loop's gate) leaves out the passes that can only warn."""
    problems = list(ws.problems)
    problems += plan_pass(ws)
    problems += tasks_pass(ws, leases=not errors_only)
    if not errors_only:
        problems += check_warnings(ws)  # inputs changed since a task was planned
    problems += cycles_pass(ws)
    found, tree = handoffs_pass(ws)
    problems += found
    problems += task_handoffs_pass(ws, tree)
    del tree  # its findings and git's answers for 3,000 handoffs: the passes below reuse it
    problems += notes_pass(ws)
    found, checked = raw_files_pass(ws)
    problems += found
    problems += findings_files_pass(ws)
    problems += checklist_pass(ws)
    always = without_built_rules(ws, always_loaded(ws))  # a built rule is counted once
    problems += always_loaded_pass(always)
    problems += budget_problems(ws, always, counter, ws.settings.rules_budget)
    problems += host_problems(ws, counter)  # what each host loads, where it cuts
    problems += memory_problems(ws, counter)  # supersede, memory_budget
    problems += prompt_problems(ws, counter)
    # An always-rule is a file under .agents/, counted already: each file is counted once.
    outside = sum(1 for display, _ in always if not display.startswith(AGENTS_DIR + "/"))
    return Report(problems, checked + outside)


def plan_pass(ws: Workspace) -> list[Problem]:
    """plan.md's settings: known keys, values of the right type."""
    plan = ws.index.plan
    if plan is None or plan.problem is not None:
        return []
    return fields.check_plan(ws.display("plan.md"), plan.fields, plan.lines)


def tasks_pass(ws: Workspace, leases: bool = True) -> list[Problem]:
    """Each task's fields, its claim's lease (a warning: unless not `leases`), and ids that
    differ only in case.

    A process that checks again (the loop) reuses each unchanged task's findings: the index
    hands back the same record object for a file that did not change."""
    problems: list[Problem] = []
    settings = ws.settings
    tasks = ws.tasks
    moment = clock.now()
    records = ws.index.groups["tasks"]
    # No two ids differ only in case (each task file's stem is an id): none is looked at
    folded: dict[str, str] | None = None
    if len(set(map(str.casefold, tasks))) < len(tasks):
        folded = {}
    # The ids in the plan's order: a tuple is a seventh of a frozenset (0.4 MB at 10,000
    # tasks); the same ids in another order only make a check again check them all.
    context = (settings, tuple(tasks))
    checked = [r for r in records if r.problem is None and (r.body_line != 1 or r.fields)]
    kept = ws.task_findings
    unknown = checked
    found_before: dict[str, Sequence[Problem]] = {}
    guard = fields.PathGuard(ws.root)
    if kept is not None and kept.context == context:
        # The kept findings hold while the disk is as their check found it: a task that names
        # a path or a folder which moved since (a file came or went, a symlink out appeared)
        # is checked again.
        moved = kept.moved(guard)
        unknown = []
        for record in checked:
            before = kept.get(context, record, moved)
            if before is None:
                unknown.append(record)
            elif before:
                found_before[record.path] = before
    found_of: dict[str, Sequence[Problem]] = dict(
        fields.check_tasks(unknown, ws.display, settings, guard, tasks.__contains__)
    )
    found_of.update(found_before)
    ws.task_findings = KeptFindings(context, checked, found_of, guard.seen())
    if (
        folded is None
        and not found_before
        and len(checked) == len(records)
        and not (leases and any(map(_claimed, map(_fields_of, checked))))
    ):
        # Nothing to put between the tasks' own findings (no file without front matter, no
        # claim, no ids apart only in case): theirs, in the records' order, is all
        for found in found_of.values():
            problems += found
        return problems
    for record in records:
        if record.problem is not None:
            continue
        if record.body_line == 1 and not record.fields:
            problems.append(
                Problem(
                    ws.display(record.path),
                    1,
                    1,
                    "task-no-frontmatter",
                    "task file has no front matter",
                    "start it with '---', 'title: ...', 'status: todo', '---' "
                    "(agentmd add writes one)",
                )
            )
            continue
        problems += found_of.get(record.path, ())
        if leases and record.fields.get("claimed_at"):  # no claim, no lease
            problems += fields.lease_expired(
                ws.display(record.path), record.fields, record.lines, settings, moment
            )
        if folded is None:
            continue
        stem = record.stem
        other = folded.setdefault(stem.casefold(), stem)
        if other != stem:
            problems.append(
                Problem(
                    ws.display(record.path),
                    1,
                    1,
                    "duplicate-id",
                    f"task id '{stem}' differs from '{other}' only in case",
                    "on macOS and Windows they are one file: rename one",
                )
            )
    return problems


_claimed = methodcaller("get", "claimed_at")
_fields_of = attrgetter("fields")


def cycles_pass(ws: Workspace) -> list[Problem]:
    """Dependency cycles, each reported once at the task where it starts."""
    problems = []
    tasks = ws.tasks
    # The cycles follow from the ids and their dependencies alone: a process that checks again
    # (the loop) searches again only when one of those changed.
    edges = {task_id: task.depends_on for task_id, task in tasks.items()}
    if ws.cycles_found is not None and ws.cycles_found[0] == edges:
        cycles = ws.cycles_found[1]
    else:
        cycles = graph.find_cycles(tasks)
        ws.cycles_found = (edges, cycles)
    for cycle in cycles:
        first = tasks[cycle[0]]
        problems.append(
            Problem(
                ws.display(first.path),
                first.record.line("depends_on"),
                1,
                "dependency-cycle",
                "dependency cycle: " + " -> ".join([*cycle, cycle[0]]),
                "remove one of these dependencies; no task on a cycle can ever be ready",
            )
        )
    return problems


def handoffs_pass(ws: Workspace) -> tuple[list[Problem], WorkTree]:
    """Each handoff judged (complete, concrete, true to the diff); with the tree that holds
    each one's findings, for the pass over the tasks that need a valid one."""
    problems: list[Problem] = []
    kept = ws.handoffs_kept  # a process that checks again keeps findings (handoffs/kept.py)
    tree = WorkTree(ws, once=kept is None)
    readings = Readings(ws.agents / READINGS)
    if kept is not None:
        tasks = ws.tasks.values()
        outputs = tuple(o for task in tasks for o in task.outputs)
        kept.begin(ws.root, (frozenset(ws.tasks), outputs))
    handoffs = [r for r in ws.index.groups["handoffs"] if r.problem is None]
    found_at: dict[str, list[Problem]] = {}  # each handoff's findings, by path
    unreadable: dict[str, Problem] = {}
    # Taken by the readings' shard (the blob id's first digit; in path order within one), each
    # shard saved and let go before the next is loaded.
    shard, recalled_all = "", True  # every reading of the shard looked at: the old ones can go
    for record in sorted(handoffs, key=_first_digit):
        digest = record.digest.hex()
        if digest[:1] != shard:
            if shard:
                readings.settle(shard, prune=recalled_all)
            shard, recalled_all = digest[:1], True
        found = kept.get(record) if kept is not None else None
        if found is None:
            display = ws.display(record.path)
            reading = readings.recall(display, digest)
            if reading is None:
                try:
                    doc = ws.read(record.path)
                except LocatedError as exc:
                    unreadable[record.path] = exc.problem
                    continue
                reading = readings.get(doc, lenient=False)
            folders = kept.folders(reading) if kept is not None else ()
            found = judge(display, record.fields, record.lines, reading, tree)
            if kept is not None:
                base = str(record.fields.get("base") or "").strip()
                held_to_tree = bool(base) and tree.end_of(display) is None  # the tree's diff
                kept.put(record, folders, not held_to_tree, found)
        else:
            recalled_all = False
        found_at[record.path] = found
    if shard:
        readings.settle(shard, prune=recalled_all)
    for record in handoffs:  # the findings in path order, as the handoffs are listed
        if record.path in unreadable:
            problems.append(unreadable[record.path])
        else:
            problems += found_at[record.path]
            tree.findings[record.path] = found_at[record.path]
    readings.save(prune=True)  # the shards no handoff holds now: their readings are of old texts
    return problems, tree


def _first_digit(record) -> int:
    return record.digest[0] >> 4 if record.digest else -1


def task_handoffs_pass(ws: Workspace, tree: WorkTree) -> list[Problem]:
    """A task in review or done has a valid latest handoff: the one rule, handoffs/latest.py,
    that `done`, the hook and the loop apply too."""
    problems: list[Problem] = []
    for task in ws.tasks.values():
        if task.broken or task.status not in ("review", "done"):
            continue
        if done_in_source(task.record.fields) and ws.latest_handoffs.get(task.id) is None:
            continue  # imported as done: its history is in its source
        if verdict(tree, task.id).valid:
            continue  # the rule has nothing to say (3,000 tasks done at 10,000)
        problems += rule_problems(
            tree, task.id, task.status, ws.display(task.path), task.record.line("status")
        )
    tree.save()
    return problems


def notes_pass(ws: Workspace) -> list[Problem]:
    """The fields of decisions, gotchas and rules."""
    problems: list[Problem] = []
    for group in ("decisions", "gotchas", "rules"):
        for record in ws.index.groups[group]:
            if record.problem is None:
                problems += fields.check_note(
                    ws.display(record.path), record.fields, record.lines
                )
    return problems


def raw_files_pass(ws: Workspace) -> tuple[list[Problem], int]:
    """What only the raw text shows, in every Markdown file under .agents/: conflict markers,
    keys set twice, and a todo task's sections still holding the template's text. A file the
    index read without suspicion is not read again. Returns the findings and the files seen."""
    tasks = ws.tasks
    problems: list[Problem] = []
    prompts: dict[str, str] | None = None  # the task template's, read once when a task needs them
    # A file the index read without suspicion (no conflict marker, no key set twice) is not
    # read again: only the rest are kept, and put in order (13,000 paths held at once, and a
    # second dict of the records by path, were a megabyte of `check`'s peak).
    record_at = ws.record_at
    checked = 0
    unread: list[str] = []
    for rel in _markdown_under(ws):
        checked += 1
        if (r := record_at(rel)) is None or r.suspect:
            unread.append(rel)
    for rel in sorted(unread, key=_walk_order):
        record = record_at(rel)
        try:
            data = textfile.read_bytes(ws.agents / rel, ws.display(rel))
        except LocatedError as exc:
            if record is None:  # the index names the files it could not read
                problems.append(exc.problem)
            continue
        if b"<<<<<<<" in data or b">>>>>>>" in data:
            problems += fields.conflict_markers(
                data.decode("utf-8", "replace"), ws.display(rel)
            )
        if record is not None and record.problem is None:
            text = data.decode("utf-8", "replace")
            fm = _split(text, ws.display(rel))
            if fm is not None:
                problems += fields.duplicate_keys(fm, ws.display(rel))
            task = tasks.get(record.stem) if rel.startswith("tasks/") else None
            if task is not None and task.status == "todo" and fm is not None:
                from agentmd.workspace.scaffold import template_prompts, unfilled

                prompts = prompts if prompts is not None else template_prompts(ws.agents)
                problems += unfilled(prompts, document.Document(ws.display(rel), text, fm))
    return problems, checked


def always_loaded_pass(always: list[tuple[str, Path]]) -> list[Problem]:
    """Conflict markers in the always-loaded files outside .agents/ (AGENTS.md, CLAUDE.md);
    their token budget is `budget_problems`'."""
    problems: list[Problem] = []
    for display, path in always:
        if not display.startswith(AGENTS_DIR + "/"):
            try:
                problems += fields.conflict_markers(textfile.read_text(path, display), display)
            except LocatedError as exc:
                problems.append(exc.problem)
    return problems


def findings_files_pass(ws: Workspace) -> list[Problem]:
    """The findings files `agentmd review` writes (reviews/*.md), checked by their own module."""
    if not (ws.agents / REVIEWS).is_dir():  # before the module is loaded: most plans have none
        return []
    from agentmd.api import findings_file

    folder = ws.agents / findings_file.FOLDER
    problems: list[Problem] = []
    for path in sorted(folder.glob("*.md")):
        problems += _review_file(ws, f"{findings_file.FOLDER}/{path.name}")
    return problems


def checklist_pass(ws: Workspace) -> list[Problem]:
    """A committed `export checklist` page that no longer shows the plan."""
    from agentmd.export.checklist import stale_problems

    return stale_problems(ws)


def _review_file(ws: Workspace, rel: str) -> list[Problem]:
    from agentmd.api import findings_file

    try:
        return findings_file.check_file(ws, rel)
    except LocatedError as exc:
        return [exc.problem]


def _split(text: str, display: str) -> frontmatter.FrontMatter | None:
    try:
        return frontmatter.split(text, display)
    except LocatedError:
        return None


def agents_files(ws: Workspace) -> list[str]:
    """Each Markdown file under .agents/ (its path relative to it), the cache left out, in the
    order of a walk that takes each folder's entries by name."""
    return sorted(_markdown_under(ws), key=_walk_order)


def _walk_order(rel: str) -> list[str]:
    return rel.split("/")


def _markdown_under(ws: Workspace) -> Iterator[str]:
    """`agents_files` in no order: one `scandir` per folder, each entry's type from it."""
    folders = [""]
    while folders:
        folder = folders.pop()
        prefix = f"{folder}/" if folder else ""
        try:
            with os.scandir(os.path.join(ws.agents, folder)) as entries:
                for entry in entries:
                    name = entry.name
                    if entry.is_dir(follow_symlinks=False):
                        if name not in SKIP_DIRS:
                            folders.append(prefix + name)
                    elif name.endswith(".md"):
                        yield prefix + name
        except OSError:
            continue


# -- paths given on the command line ---------------------------------------------------------


def expand(paths: list[str]) -> list[Path]:
    files = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            for folder, dirs, names in os.walk(path):
                dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
                files += [Path(folder, n) for n in sorted(names) if n.endswith(TEXT_SUFFIXES)]
        else:
            files.append(path)
    return files


def check_paths(ws: Workspace | None, paths: list[str], counter: Counter) -> Report:
    settings = ws.settings if ws else Settings.from_fields(dict(PLAN_DEFAULTS))
    tree = WorkTree(ws) if ws else None
    readings = Readings(ws.agents / READINGS if ws else None)
    problems: list[Problem] = []
    ids: dict[str, tuple[str, int]] = {}
    files = expand(paths)
    for path in files:
        display = str(path)
        rel = agents_rel(ws, path)
        if rel is not None:
            display = ws.display(rel)  # type: ignore[union-attr]
        try:
            text = textfile.read_text(path, display)
        except LocatedError as exc:
            problems.append(exc.problem)
            continue
        problems += fields.conflict_markers(text, display)
        if path.suffix in (".yml", ".yaml"):
            problems += _yaml_file(text, display)
            continue
        if path.suffix == ".json":
            problems += _json_file(text, display)
            continue
        if path.suffix not in (".md", ".mdc", ".markdown"):
            continue
        try:
            doc = document.parse(text, display)
        except LocatedError as exc:
            # Cursor reads an .mdc's front matter line by line, not as YAML (`globs: **/*.tsx`
            # unquoted is how it is written): what YAML refuses there is no finding (as
            # `rules import` reads it too)
            if not (path.suffix == ".mdc" and exc.problem.code == "yaml"):
                problems.append(exc.problem)
            continue
        if doc.fm is not None:
            problems += fields.duplicate_keys(doc.fm, display)
        problems += _id_clash(doc, display, ids)
        if path.name in ALWAYS_LOADED and ws is not None:
            loaded = [(display, path), *_loaded_above(ws, path)]
            problems += budget_problems(ws, loaded, counter, settings.rules_budget)
        if rel is not None and ws is not None:
            problems += _agents_file(ws, rel, doc, tree, readings, settings)
        elif HANDOFF_NAME_RE.search(path.name) or len(sections_of(doc)) >= 3:
            problems += check_document(doc, tree, lenient=True, readings=readings)  # type: ignore[arg-type]
    if tree is not None:
        tree.save()
    readings.save()
    return Report(problems, len(files))


def _loaded_above(ws: Workspace, path: Path) -> list[tuple[str, Path]]:
    """The AGENTS.md and CLAUDE.md files an agent working beside `path` also loads: those of
    each folder above it, up to the repository's root (as the folder's own load counts them)."""
    try:
        folder = path.resolve().parent
        folder.relative_to(ws.root.resolve())
    except (OSError, ValueError):
        return []
    found = []
    root = ws.root.resolve()
    while folder != root:
        folder = folder.parent
        for name in ALWAYS_LOADED:
            above = folder / name
            if above.is_file():
                found.append((os.path.relpath(above), above))
    return found


def agents_rel(ws: Workspace | None, path: Path) -> str | None:
    if ws is None:
        return None
    try:
        return path.resolve().relative_to(ws.agents.resolve()).as_posix()
    except ValueError:
        return None


def _agents_file(
    ws: Workspace, rel: str, doc: document.Document, tree, readings, settings: Settings
) -> list[Problem]:
    from agentmd.handoffs.judge import task_handoff_problems

    display = doc.display
    lines = doc.key_lines
    if rel.startswith("tasks/"):
        if doc.fm is None:
            return [
                Problem(
                    display,
                    1,
                    1,
                    "task-no-frontmatter",
                    "task file has no front matter",
                    "start it with '---', 'title: ...', 'status: todo', '---'",
                )
            ]
        found = fields.check_task(
            display,
            doc.fields,
            lines,
            settings,
            fields.PathGuard(ws.root),
            ws.tasks.__contains__,
        )
        stem = rel[len("tasks/") : -3]
        task = ws.tasks.get(stem)
        if task is not None and task.status in ("review", "done"):
            found += task_handoff_problems(ws, task)
        return found
    if rel.startswith("handoffs/"):
        return check_document(doc, tree, readings=readings)
    if rel == "plan.md":
        return fields.check_plan(display, doc.fields, lines)
    if rel.startswith(("rules/", "memory/decisions/", "memory/gotchas/")):
        return fields.check_note(display, doc.fields, lines)
    if rel.startswith("reviews/"):
        return _review_file(ws, rel)
    return []


def _id_clash(
    doc: document.Document, display: str, ids: dict[str, tuple[str, int]]
) -> list[Problem]:
    value = doc.fields.get("id")
    if value is None or isinstance(value, dict | list):
        return []
    key = str(value).strip().casefold()
    line = doc.line_of("id")
    if key in ids:
        other, other_line = ids[key]
        return [
            Problem(
                display,
                line,
                1,
                "duplicate-id",
                f"id '{value}' is also the id of {other}:{other_line}",
                "give each its own id",
            )
        ]
    ids[key] = (display, line)
    return []


def _yaml_file(text: str, display: str) -> list[Problem]:
    fm = frontmatter.FrontMatter(text.lstrip("\ufeff"), 0, len(text), 1, len(text), 1)
    try:
        frontmatter.load_yaml(fm, display)
    except LocatedError as exc:
        if exc.problem.code == "frontmatter-not-mapping":
            return []
        problem = exc.problem
        return [
            Problem(
                problem.path,
                problem.line,
                problem.col,
                problem.code,
                problem.message.replace("front matter is not valid YAML", "not valid YAML"),
                problem.hint,
            )
        ]
    return []


def _json_file(text: str, display: str) -> list[Problem]:
    try:
        json.loads(text)
    except ValueError as exc:
        line, col = getattr(exc, "lineno", 1), getattr(exc, "colno", 1)
        return [Problem(display, line, col, "json", f"not valid JSON: {getattr(exc, 'msg', exc)}")]
    return []
