"""`check`'s fast paths give the findings the slow ones give: a task's common fields told apart
in a few calls (fields.check_task), the guard's verdicts per distinct path and per folder
(fields.PathGuard), the tree's one look at each named path (changes.WorkTree.existing), a kept
reading's empty parts (reading._decode). The findings are a property of the input, not of the
path taken to them."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentmd.checks import fields
from agentmd.handoffs import reading
from agentmd.handoffs.changes import WorkTree
from agentmd.workspace.folder import Workspace
from agentmd.workspace.records import PLAN_DEFAULTS, Settings
from conftest import cli, git

SETTINGS = Settings.from_fields(dict(PLAN_DEFAULTS))
TASKS = {"t1", "t2"}

BASE = {
    "title": "Add the parser",
    "status": "todo",
    "priority": "medium",
    "depends_on": [],
    "inputs": ["src/base.py", "src/gone.py"],
    "outputs": ["src/new.py", "tests/new/test_new.py"],
    "verify": ["pytest -q"],
    "created": "2026-11-20",
}

# Each a change to BASE: the plain case, and every way a field can leave it.
VARIANTS = {
    "plain": {},
    "no lists": {"depends_on": None, "inputs": None, "outputs": None, "verify": None},
    "depends on tasks": {"depends_on": ["t1", "t2"]},
    "dangling dependency": {"depends_on": ["t1", "nope"]},
    "dependency as text": {"depends_on": "t1"},
    "dependency as number": {"depends_on": [1, "t2"]},
    "dependency as mapping": {"depends_on": [{"a": "b"}]},
    "unknown key": {"titel": "x"},
    "other key": {"colour": "blue"},
    "title a list": {"title": ["a"]},
    "title a number": {"title": 3},
    "title empty": {"title": None},
    "status case": {"status": "Todo"},
    "status unknown": {"status": "started"},
    "status empty": {"status": ""},
    "status a list": {"status": ["todo"]},
    "status active": {"status": "active"},
    "status none": {"status": None},
    "priority unknown": {"priority": "urgent"},
    "priority case": {"priority": "HIGH"},
    "attempts": {"attempts": 2},
    "attempts negative": {"attempts": -1},
    "attempts boolean": {"attempts": True},
    "attempts text": {"attempts": "2"},
    "inputs as text": {"inputs": "src/gone.py"},
    "inputs glob": {"inputs": ["src/*.py", "docs/[ab].md"]},
    "inputs absolute": {"inputs": ["/etc/passwd"]},
    "inputs climb": {"inputs": ["../up.py", "src/../../up.py"]},
    "inputs drive": {"inputs": ["C:/x.py"]},
    "inputs backslash": {"inputs": ["src\\base.py"]},
    "inputs spaces": {"inputs": [" src/base.py", "src/gone.py "]},
    "inputs dot slash": {"inputs": ["./src/gone.py", "./src/base.py"]},
    "inputs in a link out": {"inputs": ["out/x.py"]},
    "inputs a link out": {"inputs": ["src/link.py"]},
    "outputs a link out": {"outputs": ["src/link.py", "src/new.py"]},
    "outputs in a link out": {"outputs": ["out/made.py"]},
    "outputs absolute": {"outputs": ["/tmp/x.py"]},
    "outputs in the root": {"outputs": ["new.py"]},
    "outputs a folder": {"outputs": ["src/"]},
    "outputs empty path": {"outputs": [""]},
    "outputs odd names": {"outputs": ["src/a+b@c.py", "src/ü.py", "deep/er/x.py"]},
    "outputs mixed types": {"outputs": ["src/x.py", 3]},
    "tags numbers": {"tags": [1, 2]},
    "resources text": {"resources": "db"},
    "verify a mapping": {"verify": {"run": "pytest"}},
}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A repository's files: src/ with one input, a symlink out of it, a folder link out."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.py").write_text("x\n")
    top = tmp_path / "repo"
    (top / "src").mkdir(parents=True)
    (top / "src" / "base.py").write_text("x\n")
    os.symlink(outside / "secret.py", top / "src" / "link.py")
    os.symlink(outside, top / "out")
    return top


def _lines(task: dict) -> dict[str, int]:
    return {key: number for number, key in enumerate(task, start=2)}


class _AskEach(fields.PathGuard):
    """A guard that keeps no verdict and knows no folder's: each path is asked on its own."""

    clean = property(lambda self: set(), lambda self, value: None)  # type: ignore[assignment]

    def fine(self, paths) -> bool:
        return False


def _slow(task: dict, root: Path, monkeypatch) -> list:
    """check_task with every fast path shut: each field checked on its own, each path asked."""
    with monkeypatch.context() as patch:
        patch.setattr(fields, "_plain_lists", lambda values: False)
        return fields.check_task(
            "t.md", task, _lines(task), SETTINGS, _AskEach(root), TASKS.__contains__
        )


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_a_task_s_findings_do_not_depend_on_the_path_taken(name, root, monkeypatch):
    task = {**BASE, **VARIANTS[name]}
    fast = fields.check_task(
        "t.md", task, _lines(task), SETTINGS, fields.PathGuard(root), TASKS.__contains__
    )
    slow = _slow(task, root, monkeypatch)
    assert fast == slow
    # One guard asked about many tasks gives each the findings a fresh one gives
    shared = fields.PathGuard(root)
    for other in VARIANTS.values():
        fields.check_task("o.md", {**BASE, **other}, {}, SETTINGS, shared, TASKS.__contains__)
    again = fields.check_task("t.md", task, _lines(task), SETTINGS, shared, TASKS.__contains__)
    assert again == fast


def test_the_plain_task_takes_the_fast_path_and_still_warns_of_a_missing_input(root, monkeypatch):
    asked: list[str] = []
    real = fields._field_problems
    monkeypatch.setattr(fields, "_field_problems", lambda *a: asked.append("fields") or real(*a))
    found = fields.check_task(
        "t.md", dict(BASE), _lines(BASE), SETTINGS, fields.PathGuard(root), TASKS.__contains__
    )
    assert asked == []
    assert [p.render() for p in found] == [
        "t.md:6:1: warning input-missing: inputs 'src/gone.py' does not exist\n"
        "  hint: fix the path (from the repository root), or make it a glob if it may be missing"
    ]


def test_the_slow_path_names_each_finding_of_an_odd_task(root, monkeypatch):
    task = {
        **BASE,
        "status": "Todo",
        "depends_on": ["nope"],
        "inputs": ["/etc/passwd", "src/link.py"],
        "outputs": ["out/made.py"],
        "attempts": -1,
    }
    found = fields.check_task(
        "t.md", task, _lines(task), SETTINGS, fields.PathGuard(root), TASKS.__contains__
    )
    outside = os.path.realpath(root.parent / "outside")
    assert [(p.line, p.code, p.message) for p in found] == [
        (3, "status-case", "status 'Todo' should be written 'todo'"),
        (10, "bad-type", "'attempts' should be a whole number >= 0"),
        (5, "dangling-dependency", "depends on 'nope', which is not a task"),
        (6, "path-escapes", "inputs '/etc/passwd' is absolute"),
        (
            6,
            "path-escapes",
            f"inputs 'src/link.py' is a symlink that points outside the repository "
            f"(to {outside}/secret.py)",
        ),
        (
            7,
            "path-escapes",
            f"outputs 'out/made.py' is a symlink that points outside the repository "
            f"(to {outside}/made.py)",
        ),
    ]
    assert found == _slow(task, root, monkeypatch)


PATHS = [
    "src/new.py", "src/base.py", "src/link.py", "out/x.py", "out/deep/x.py", "new.py",
    "gone/a/b.py", "src/", "", "/abs.py", "../up.py", "a/../b.py", "C:/x", " src/x.py",
    "src\\x.py", "src/*.py", "src/a+b.py", "src//x.py", "./src/x.py", "src/ü.py",
]  # fmt: skip


def test_the_guard_s_folder_verdict_agrees_with_each_path_s(root):
    for path in PATHS:
        for pair in ([path], [path, "gone/x.py"], ["gone/x.py", path]):
            fine = fields.PathGuard(root).fine(pair)
            each = [fields.PathGuard(root).reason(p) for p in pair]
            assert not fine or each == [None] * len(pair), (pair, each)
    # and it says so without asking of each path, where the folder is not there
    guard = fields.PathGuard(root)
    assert guard.fine(["gone/a.py", "gone/b.py", "tests/new/x.py"])
    assert guard.clean == set()
    assert not guard.fine(["src/link.py"])  # a folder that is there: each path is asked


def test_the_guard_keeps_each_verdict_it_gave(root):
    guard = fields.PathGuard(root)
    for path in PATHS:
        assert guard.reason(path) == fields.PathGuard(root).reason(path)
        assert guard.reason(path) == guard.reason(path)
        expected = not (
            set("*?[") & set(path)
            or fields.PathGuard(root).reason(path)
            or os.path.lexists(os.path.join(root, path.strip().removeprefix("./")))
        )
        assert guard.missing(path) == expected, path
        assert guard.missing(path) == expected
    assert guard.missing("src/gone.py") is True
    assert guard.missing("src/base.py") is False
    assert "src/base.py" in guard.present and "src/base.py" in guard.clean
    assert fields.PathGuard(None).missing("src/gone.py") is False


def test_the_tree_answers_each_named_path_as_the_disk_does(repo):
    assert cli(repo, "init").exit_code == 0
    assert cli(repo, "add", "First task", "--id", "first").exit_code == 0
    (repo / "docs").mkdir()
    ws = Workspace.find(repo)
    tree = WorkTree(ws)
    named = [
        ".agents/tasks/first.md", ".agents/tasks/other.md", ".agents/tasks/first.mdx",
        ".agents/tasks", "README.md", "docs", "missing.py", ".agents/plan.md",
    ]  # fmt: skip
    there = {path for path in named if os.path.lexists(repo / path)}
    assert there == {".agents/tasks/first.md", ".agents/tasks", "README.md", "docs",
                     ".agents/plan.md"}  # fmt: skip
    assert tree.existing(named) == there
    assert tree.existing(named) == there  # asked again: the kept answers
    assert tree.existing(list(reversed(named))) == there
    # A tree whose findings are kept past this check looks each time: a file made since counts
    looking = WorkTree(ws, once=False)
    assert looking.existing(named) == there
    (repo / "missing.py").write_text("x\n")
    assert looking.existing(named) == there | {"missing.py"}
    assert tree.existing(named) == there  # the one look of this check


def test_a_kept_reading_decodes_to_what_was_read_whether_its_parts_are_empty_or_not():
    from agentmd.errors import Problem

    empty = reading.Reading((), 0, 0, (), (), (), ())
    full = reading.Reading(
        (Problem("h.md", 3, 1, "handoff-vague", "vague", "say what", "error"),),
        12,
        10,
        ((11, "src/a.py"),),
        (("src/a.py", 11, 4),),
        ((7, 3, ("Makefile", "docs")),),
        (("src/b.py", 20, 5),),
    )
    for kept in (empty, full):
        assert reading._decode("h.md", reading._encode(kept)) == kept
        assert reading._decode("h.md", json.loads(json.dumps(reading._encode(kept)))) == kept


def test_readings_kept_as_text_are_recalled_and_a_broken_one_is_read_again(tmp_path):
    from agentmd.files import document

    text = "---\ntask: t1\nstatus: done\nbase: abc\n---\n## Summary\n\nDid some stuff.\n"
    doc = document.parse(text, ".agents/handoffs/h.md")
    first = reading.Readings(tmp_path)
    read = first.get(doc, lenient=False)
    assert "handoff-vague" in [p.code for p in read.problems]
    first.save()
    shard = next(tmp_path.iterdir())
    entries = json.loads(shard.read_text())["entries"]
    assert [type(value) for value in entries.values()] == [str]  # each reading as its text
    again = reading.Readings(tmp_path)
    key = next(iter(entries))
    assert again.recall(".agents/handoffs/h.md", key.split()[1]) == read
    entries[key] = entries[key][:-3]  # broken text: read again, never a finding lost
    shard.write_text(json.dumps({**json.loads(shard.read_text()), "entries": entries}))
    broken = reading.Readings(tmp_path)
    assert broken.recall(".agents/handoffs/h.md", key.split()[1]) is None
    assert broken.get(doc, lenient=False) == read


def test_ids_that_differ_only_in_case_are_still_found(repo):
    assert cli(repo, "init").exit_code == 0
    assert cli(repo, "add", "One", "--id", "Alpha").exit_code == 0
    assert cli(repo, "add", "Two", "--id", "beta").exit_code == 0
    clean = cli(repo, "check")
    assert "duplicate-id" not in clean.output and "0 error(s)" in clean.output
    (repo / ".agents" / "tasks" / "alpha.md").write_text(
        (repo / ".agents" / "tasks" / "Alpha.md").read_text()
    )
    result = cli(repo, "check")
    assert (
        ".agents/tasks/alpha.md:1:1: error duplicate-id: task id 'alpha' differs from 'Alpha' "
        "only in case" in result.output
    )
    assert result.exit_code == 1


def _plan(edges: dict[str, list[str]]) -> dict:
    from agentmd.workspace.records import Record, Task

    return {
        task_id: Task.from_record(Record(f"tasks/{task_id}.md", {"depends_on": deps}, {}, 1))
        for task_id, deps in edges.items()
    }


PLANS = {
    "numbered": {"t1": [], "t2": ["t1"], "t3": ["t1", "t2"], "t4": ["t3", "gone"]},
    "numbered, one edge back": {"t1": ["t3"], "t2": ["t1"], "t3": ["t2"], "t4": ["t1"]},
    "a task on itself": {"t1": [], "t2": ["t2"]},
    "named, no cycle": {"parse": ["lex"], "lex": [], "emit": ["parse"]},
    "named, a cycle": {"parse": ["lex"], "lex": ["emit"], "emit": ["parse"], "zz": ["lex"]},
    "two cycles": {"a": ["b"], "b": ["a"], "c": ["d"], "d": ["c"], "e": ["a", "c"]},
}


@pytest.mark.parametrize("name", sorted(PLANS))
def test_cycles_found_among_the_unsettled_tasks_are_the_search_s_among_all(name, monkeypatch):
    from agentmd.tasks import graph

    tasks = _plan(PLANS[name])
    found = graph.find_cycles(tasks)
    with monkeypatch.context() as patch:
        patch.setattr(graph, "_unsettled", lambda tasks: set(tasks))
        assert graph.find_cycles(tasks) == found
    expected, unsettled = {
        "numbered": ([], set()),
        "numbered, one edge back": ([["t1", "t3", "t2"]], {"t1", "t2", "t3", "t4"}),
        "a task on itself": ([["t2"]], {"t2"}),
        "named, no cycle": ([], set()),
        "named, a cycle": ([["emit", "parse", "lex"]], {"emit", "parse", "lex", "zz"}),
        "two cycles": ([["a", "b"], ["c", "d"]], {"a", "b", "c", "d", "e"}),
    }[name]
    assert found == expected
    assert graph._unsettled(tasks) == unsettled


def test_findings_printed_at_once_are_the_lines_printed_one_by_one(repo):
    import subprocess
    import sys

    assert cli(repo, "init").exit_code == 0
    tasks = repo / ".agents" / "tasks"
    (tasks / "a.md").write_text("---\ntitle: A\nstatus: todo\ncolour: blue\n---\n## Goal\n\nA.\n")
    (tasks / "b.md").write_text("---\ntitle: B\nstatus: todo\n'→': 1\n---\n## Goal\n\nB.\n")

    def check(encoding: str) -> subprocess.CompletedProcess:
        env = {**os.environ, "PYTHONIOENCODING": encoding}
        return subprocess.run(
            [sys.executable, "-m", "agentmd", "check"], cwd=repo, env=env, capture_output=True
        )

    first = (
        ".agents/tasks/a.md:4:1: warning unknown-key: unknown key 'colour'\n"
        "  hint: agentmd ignores it; known keys: "
    )
    whole = check("utf-8")
    assert whole.returncode == 0, whole.stderr
    out = whole.stdout.decode()
    assert out.startswith(first) and out.count("\n  hint: ") == 2
    assert ".agents/tasks/b.md:4:1: warning unknown-key: unknown key '→'\n" in out
    # A stream that cannot encode the second: the first is written, then click's error
    latin = check("latin-1")
    assert latin.returncode != 0
    assert latin.stdout.decode("latin-1") == out.split(".agents/tasks/b.md")[0]
    assert b"UnicodeEncodeError" in latin.stderr or b"codec" in latin.stderr


def test_tasks_checked_at_once_have_the_findings_of_each_checked_alone(root, monkeypatch):
    from agentmd.workspace.records import Record

    records = [
        Record(f"tasks/{n:02}.md", {**BASE, **change}, _lines({**BASE, **change}), 12)
        for n, change in enumerate(VARIANTS[name] for name in sorted(VARIANTS))
    ]
    records += records  # each again: the guard's kept verdicts
    at_once = fields.check_tasks(
        records, lambda rel: f".agents/{rel}", SETTINGS, fields.PathGuard(root), TASKS.__contains__
    )
    alone = {}
    for record in records:
        found = _slow({**record.fields}, root, monkeypatch)
        if found:
            alone[record.path] = [p._replace(path=f".agents/{record.path}") for p in found]
    assert at_once == alone
    names = sorted(VARIANTS)
    assert f"tasks/{names.index('depends on tasks'):02}.md" not in at_once  # no finding
    assert [p.code for p in at_once[f"tasks/{names.index('plain'):02}.md"]] == ["input-missing"]
    assert len(at_once) > 30


def test_the_plan_s_keys_are_judged_with_the_model_s_only_when_one_is_not_agentmd_s():
    plain = {"title": "P", "context_window": 200000}
    assert fields.check_plan("plan.md", plain, {"title": 2, "context_window": 3}) == []
    model = {"title": "P", "model": "claude", "model_timeout": 30}
    assert fields.check_plan("plan.md", model, {}) == []
    slip = {"title": "P", "modle": "claude", "colour": "red"}
    found = fields.check_plan("plan.md", slip, {"modle": 3, "colour": 4})
    assert [(p.line, p.code, p.message, p.severity) for p in found] == [
        (3, "unknown-key", "unknown key 'modle' (did you mean 'model'?)", "error"),
        (4, "unknown-key", "unknown key 'colour'", "warning"),
    ]
    assert "model_retries" in found[1].hint and "checklist" in found[1].hint


def test_a_check_again_in_one_process_looks_only_at_the_task_files_that_changed(repo, monkeypatch):
    from agentmd.checks import passes
    from agentmd.checks.readiness import Readiness

    assert cli(repo, "init").exit_code == 0
    for name in ("one", "two", "three"):
        assert cli(repo, "add", f"Task {name}", "--id", name, "--input", "gone.py").exit_code == 0
    ws = Workspace.find(repo)
    first = passes.tasks_pass(ws)
    assert [(p.path, p.code) for p in first] == [
        (f".agents/tasks/{name}.md", "input-missing") for name in ("one", "three", "two")
    ]
    looked: list[str] = []
    real = fields.check_tasks
    monkeypatch.setattr(
        fields,
        "check_tasks",
        lambda records, *a: looked.extend(r.path for r in records) or real(records, *a),
    )
    assert passes.tasks_pass(ws) == first and looked == []
    two = repo / ".agents" / "tasks" / "two.md"
    two.write_text(two.read_text().replace("gone.py", "README.md"))
    ws.refresh()
    again = passes.tasks_pass(ws)
    assert looked == ["tasks/two.md"]
    assert again == [p for p in first if p.path != ".agents/tasks/two.md"]
    # `next` in the same process asks the kept findings, and checks no task again
    asked: list[str] = []
    monkeypatch.setattr(fields, "check_task", lambda display, *a: asked.append(display) or [])
    ready = Readiness(ws)
    assert [p.code for p in ready.errors(ws.tasks["one"])] == []  # a warning: not an error
    assert asked == []


def test_the_tree_asks_git_once_whether_a_base_is_an_ancestor(repo, monkeypatch):
    from agentmd import git as git_module

    assert cli(repo, "init").exit_code == 0
    base = git(repo, "rev-parse", "HEAD").strip()
    asked: list[list[str]] = []
    real = git_module.run
    monkeypatch.setattr(
        git_module, "run", lambda args, *a, **k: asked.append(args) or real(args, *a, **k)
    )
    tree = WorkTree(Workspace.find(repo))
    assert [tree.is_ancestor(base), tree.is_ancestor(base), tree.is_ancestor("0" * 40)] == [
        True,
        True,
        False,
    ]
    assert [args[:2] for args in asked] == [["merge-base", "--is-ancestor"]] * 2


def test_the_tasks_findings_come_in_one_order_whether_or_not_a_claim_is_looked_at(
    repo, monkeypatch
):
    from agentmd.checks import passes

    assert cli(repo, "init").exit_code == 0
    for name in ("b", "a", "c"):
        assert cli(repo, "add", f"Task {name}", "--id", name, "--input", "gone.py").exit_code == 0
    a = repo / ".agents" / "tasks" / "a.md"
    a.write_text(a.read_text().replace("status: todo", "status: Todo\ncolour: red"))
    quick = passes.tasks_pass(Workspace.find(repo))
    assert [(p.path[-4:], p.code) for p in quick] == [
        ("a.md", "unknown-key"),
        ("a.md", "status-case"),
        ("a.md", "input-missing"),
        ("b.md", "input-missing"),
        ("c.md", "input-missing"),
    ]
    monkeypatch.setattr(passes, "_claimed", lambda fields: True)  # each task's claim looked at
    assert passes.tasks_pass(Workspace.find(repo)) == quick
    assert passes.tasks_pass(Workspace.find(repo), leases=False) == quick


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from([f"t{n}" for n in range(12)]),
        st.lists(st.sampled_from([f"t{n}" for n in range(14)]), max_size=4),
        max_size=12,
    )
)
def test_any_plan_s_cycles_among_the_unsettled_are_the_search_s_among_all(edges):
    """Random plans (ids in any order, dependencies on missing tasks, on themselves): the
    cycles found among the unsettled tasks are the ones a search among every task finds."""
    from agentmd.tasks import graph

    tasks = _plan(edges)
    found = graph.find_cycles(tasks)
    real = graph._unsettled
    try:
        graph._unsettled = lambda tasks: set(tasks)
        assert graph.find_cycles(tasks) == found
    finally:
        graph._unsettled = real
    assert set().union(*found) <= real(tasks)


def test_kept_findings_asked_with_an_equal_context_compare_it_once(example):
    """A check again (the loop) asks the kept findings of each of 10,000 tasks with a context
    equal to the kept one but built anew: compared whole once, then by identity (comparing the
    10,000 ids at each ask was most of a loop cycle). The answers are the same."""
    from agentmd.checks import passes
    from agentmd.checks.kept import KeptFindings
    from agentmd.prompt.tokens import ESTIMATE

    ws = Workspace(example)
    passes.check_workspace(ws, ESTIMATE)
    kept = ws.task_findings
    assert isinstance(kept, KeptFindings)
    equal = (kept.context[0], tuple(kept.context[1]))
    assert equal == kept.context and equal is not kept.context
    records = ws.index.groups["tasks"]
    answers = [kept.get(equal, r) for r in records]
    assert kept.context is equal  # the caller's, for its next asks
    assert answers == [kept.get(equal, r) for r in records] and all(a is not None for a in answers)
    other = (kept.context[0], (*equal[1], "another-task"))
    assert [kept.get(other, r) for r in records] == [None] * len(records)


def write_done_task_with_handoff(repo: Path, tid: str, base: str) -> None:
    agents = repo / ".agents"
    (agents / "tasks" / f"{tid}.md").write_text(
        f"---\ntitle: {tid}\nstatus: done\n---\n## Goal\n\nReview {tid}.\n"
    )
    (agents / "handoffs" / f"2026-06-01-{tid}.md").write_text(
        f"---\ntask: {tid}\nstatus: done\nbase: {base}\n---\n## Summary\n\n"
        f"Reviewed {tid}; it needs no code change.\n\n## Completed\n\n"
        f"- `.agents/tasks/{tid}.md`: reviewed, status done.\n\n## Remaining\n\nNone\n\n"
        f"## Decisions\n\n- Left `{tid}` as it was: the review found nothing to change.\n\n"
        "## Gotchas\n\nNone\n\n## Next action\n\n"
        "Start the ready tasks.\n\n## Artifacts\n\nNone\n\n## Verification\n\n"
        f"- `git diff --stat {base[:12]}`: nothing changed outside .agents/.\n"
    )


def test_check_holds_one_shard_of_readings_at_a_time_and_keeps_them_all(repo, monkeypatch):
    cli(repo, "init")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "init")
    base = git(repo, "rev-parse", "HEAD").strip()
    for n in range(24):
        write_done_task_with_handoff(repo, f"t{n}", base)
    (repo / ".agents/tasks/t3.md").write_text("---\ntitle: t3\nstatus: done\n---\n")
    (repo / ".agents/handoffs/2026-06-01-t3.md").write_text("---\ntask: t3\nstatus: done\n---\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "plan")
    first = cli(repo, "check")
    assert "2026-06-01-t3.md" in first.stdout  # one handoff with findings among them
    held = []
    real = reading.Readings._shard

    def shard(self, name):
        found = real(self, name)
        held.append(len(self._shards))
        return found

    monkeypatch.setattr(reading.Readings, "_shard", shard)
    ws = Workspace(repo)
    from agentmd.checks import passes

    found, _ = passes.handoffs_pass(ws)
    assert len(held) > 4 and max(held) == 1  # never two shards at once
    assert found and all(p.path.endswith("2026-06-01-t3.md") for p in found)
    assert all(p.render() in first.stdout for p in found)  # what the whole check printed
    kept = reading.Readings(repo / ".agents" / reading.READINGS)
    for record in ws.index.groups["handoffs"]:
        assert kept.recall(ws.display(record.path), record.digest.hex()) is not None


def test_a_process_that_checks_again_sees_an_input_appear_and_go(repo, monkeypatch):
    """The kept findings of an unchanged task file (the loop, the board) still follow the files
    its inputs name: a missing input that appears, or one that goes, is checked again."""
    from agentmd.checks import passes

    cli(repo, "init")
    task = "---\ntitle: {0}\nstatus: todo\ninputs: [src/{0}.py]\n---\n## Goal\n\nRead it.\n"
    for name in ("a", "b", "c"):
        (repo / ".agents/tasks" / f"{name}.md").write_text(task.format(name))
    (repo / "src").mkdir()
    (repo / "src/c.py").write_text("")
    ws = Workspace(repo)
    looked_at: list[list[str]] = []
    real = fields.check_tasks

    def check_tasks(records, *args):
        looked_at.append([r.stem for r in records])
        return real(records, *args)

    monkeypatch.setattr(fields, "check_tasks", check_tasks)

    def warned() -> list[str]:
        ws.refresh()
        return sorted(p.path.rsplit("/", 1)[1] for p in passes.tasks_pass(ws))

    assert warned() == ["a.md", "b.md"]
    assert warned() == ["a.md", "b.md"] and looked_at[-1] == []  # kept: nothing checked again
    (repo / "src/a.py").write_text("")
    assert warned() == ["b.md"] and looked_at[-1] == ["a"]
    (repo / "src/c.py").unlink()
    assert warned() == ["b.md", "c.md"] and looked_at[-1] == ["c"]


def test_a_process_that_checks_again_sees_an_output_folder_become_a_symlink_out(
    repo, tmp_path_factory
):
    """A folder a task's outputs lie in, replaced by a symlink out of the repository after the
    first check: the next check in the same process says so, and `next`'s readiness does not
    hand the task out, as a fresh process would not."""
    from agentmd.checks import passes
    from agentmd.checks.readiness import Readiness

    cli(repo, "init")
    task = "---\ntitle: {0}\nstatus: todo\noutputs: [{1}/{0}.py]\n---\n## Goal\n\nWrite it.\n"
    (repo / ".agents/tasks/a.md").write_text(task.format("a", "out"))
    (repo / ".agents/tasks/b.md").write_text(task.format("b", "src"))
    (repo / "out").mkdir()
    (repo / "src").mkdir()
    ws = Workspace(repo)

    def codes() -> list[tuple[str, str]]:
        ws.refresh()
        return sorted((p.path.rsplit("/", 1)[1], p.code) for p in passes.tasks_pass(ws))

    assert codes() == []
    assert Readiness(ws).errors(ws.tasks["a"]) == []
    (repo / "out").rmdir()
    (repo / "out").symlink_to(tmp_path_factory.mktemp("elsewhere"))
    ws.refresh()  # the first check's findings kept: readiness asks before any check again
    assert [p.code for p in Readiness(ws).errors(ws.tasks["a"])] == ["path-escapes"]
    assert Readiness(ws).errors(ws.tasks["b"]) == []
    assert codes() == [("a.md", "path-escapes")]  # b's folder did not move: b is as it was
    fresh = Workspace(repo)
    assert [p.code for p in Readiness(fresh).errors(fresh.tasks["a"])] == ["path-escapes"]
