"""The records kept lean (issue 10, peak memory): what they share gives the same answers as the
copies they replaced."""

from __future__ import annotations

import getpass
import os
import socket
from importlib import resources
from pathlib import Path

from hypothesis import example, given
from hypothesis import strategies as st

from agentmd import templates
from agentmd.tasks import claims
from agentmd.workspace import scaffold
from agentmd.workspace.folder import Workspace
from agentmd.workspace.records import Handoff, Record, Task, as_strings
from conftest import cli, imported_modules

LISTS = ("depends_on", "inputs", "outputs", "verify")


def task_of(fields: dict) -> Task:
    return Task.from_record(Record("tasks/t1.md", fields, {}, 1))


def ranked_as(fields: dict) -> tuple[str, str]:
    task = task_of(fields)
    return task.status, task.priority


def test_a_status_and_priority_are_stripped_and_lower_cased_as_before():
    assert (task_of({}).status, task_of({}).priority) == ("todo", "medium")
    assert ranked_as({"status": "", "priority": None}) == ("todo", "medium")
    assert ranked_as({"status": " Done ", "priority": "HIGH"}) == ("done", "high")
    assert ranked_as({"status": "Paused", "priority": 2}) == ("paused", "2")
    assert ranked_as({"status": "   ", "priority": False}) == ("", "medium")
    # the usual words are one object each, whatever the file wrote
    assert task_of({"status": "DONE"}).status is task_of({"status": "done"}).status


LIST_VALUES = st.one_of(
    st.none(),
    st.text(max_size=5),
    st.integers(),
    st.lists(st.text(max_size=4), max_size=3),
    st.lists(st.one_of(st.text(max_size=4), st.integers(), st.none(), st.booleans()), max_size=3),
)


@given(st.fixed_dictionaries({}, optional=dict.fromkeys(LISTS, LIST_VALUES)))
@example({"depends_on": ["a"], "inputs": [], "outputs": ["b"], "verify": "pytest"})
@example({"depends_on": [], "inputs": [], "outputs": [], "verify": ["a", 1]})
@example({"depends_on": "t1", "inputs": [], "outputs": [], "verify": []})
@example({"depends_on": [], "inputs": [], "outputs": None, "verify": []})
def test_a_tasks_lists_are_what_as_strings_reads_in_each_field(fields):
    task = task_of(fields)
    for name in LISTS:
        read, expected = getattr(task, name), as_strings(fields.get(name))
        assert type(read) is type(expected) and list(read) == list(expected)
        if type(fields.get(name)) is list and all(type(item) is str for item in fields[name]):
            assert read is fields[name]  # held as the record holds it, not copied


def test_a_handoff_status_is_lower_cased_and_not_stripped_as_before():
    def status(value):
        return Handoff.from_record(Record("handoffs/h.md", {"status": value}, {}, 1)).status

    assert (status("Done"), status(" Partial "), status(None), status(3)) == (
        "done",
        " partial ",
        "",
        "3",
    )
    assert status("DONE") is status("done")


def test_a_tasks_lists_are_its_records_own_and_equal_paths_are_one_string(repo: Path):
    cli(repo, "init")
    for name in ("a", "b"):
        (repo / f".agents/tasks/{name}.md").write_text(
            f"---\ntitle: {name}\nstatus: todo\ninputs: [src/x.py, src/y.py]\n---\n"
        )
    (repo / ".agents/tasks/c.md").write_text("---\ntitle: c\ninputs: [src/z.py]\n---\n")
    tasks = Workspace(repo).tasks
    assert list(tasks["a"].inputs) == list(tasks["b"].inputs) == ["src/x.py", "src/y.py"]
    assert tasks["a"].inputs is tasks["a"].record.fields["inputs"]
    assert tasks["a"].inputs[0] is tasks["b"].inputs[0]
    assert list(tasks["c"].inputs) == ["src/z.py"]
    assert tasks["a"].paths == ("src/x.py", "src/y.py")


def test_a_refresh_keeps_an_unchanged_files_record_and_reads_a_changed_one(repo: Path):
    cli(repo, "init")
    task = repo / ".agents/tasks/one.md"
    task.write_text("---\ntitle: One\nstatus: todo\n---\n")
    other = repo / ".agents/tasks/two.md"
    other.write_text("---\ntitle: Two\nstatus: todo\n---\n")
    past = 1_600_000_000_000_000_000
    for path in repo.joinpath(".agents").rglob("*.md"):
        os.utime(path, ns=(past, past))
    ws = Workspace(repo)
    before = {r.path: r for r in ws.index.groups["tasks"]}
    task.write_text("---\ntitle: One, renamed\nstatus: active\n---\n")
    os.utime(task, ns=(past + 10**9, past + 10**9))
    ws.refresh()
    after = {r.path: r for r in ws.index.groups["tasks"]}
    assert after["tasks/two.md"] is before["tasks/two.md"]
    assert after["tasks/one.md"] is not before["tasks/one.md"]
    assert after["tasks/one.md"].fields == {"title": "One, renamed", "status": "active"}
    assert ws.tasks["one"].status == "active"


def test_a_cold_index_writes_the_cache_a_new_process_reads_back_the_same(repo: Path):
    cli(repo, "init")
    (repo / ".agents/tasks/one.md").write_text(
        "---\ntitle: One\nstatus: todo\ndepends_on: [two]\n---\n"
    )
    (repo / ".agents/tasks/two.md").write_text("---\ntitle: Two\nstatus: done\n---\n")
    past = 1_600_000_000_000_000_000
    for path in repo.joinpath(".agents").rglob("*.md"):
        os.utime(path, ns=(past, past))
    parsed = Workspace(repo).index
    assert (repo / ".agents/.cache/index.bin").is_file()
    cached = Workspace(repo).index
    assert cached == parsed
    assert [r.path for r in cached.groups["tasks"]] == ["tasks/one.md", "tasks/two.md"]


def test_the_templates_are_read_from_their_folder_or_through_importlib(monkeypatch):
    folder = scaffold.template_root()
    assert folder == resources.files("agentmd.templates")
    assert "status: todo" in folder.joinpath("task.md").read_text(encoding="utf-8")
    monkeypatch.setattr(templates, "__file__", None)
    assert scaffold.template_root().joinpath("task.md").read_text(encoding="utf-8") == (
        folder.joinpath("task.md").read_text(encoding="utf-8")
    )


def test_the_default_owner_is_user_at_host_as_socket_names_the_host(monkeypatch):
    monkeypatch.delenv("AGENTMD_AGENT", raising=False)
    assert claims.default_owner() == f"{getpass.getuser()}@{socket.gethostname()}"
    monkeypatch.setenv("AGENTMD_AGENT", "bot-1")
    assert claims.default_owner() == "bot-1"


def test_next_imports_neither_socket_nor_importlib_resources(example: Path):
    found = imported_modules(example, "next")
    assert "agentmd.prompt.compiler" in found  # a prompt was compiled
    assert "socket" not in found
    assert "importlib.resources" not in found


def test_what_a_task_reads_from_its_record_when_asked_is_what_it_held_before():
    fields = {"created": "2026-01-01", "claimed_by": 7, "claimed_at": None, "attempts": 2}
    task = task_of({**fields, "base": "abc", "title": "T"})
    assert (task.path, task.created, task.claimed_by, task.claimed_at, task.base) == (
        "tasks/t1.md", "2026-01-01", "7", "", "abc"
    )  # fmt: skip
    assert task.attempts == 2 and task_of({"attempts": "2"}).attempts == 0
    assert task_of({"attempts": True}).attempts == 0  # a bool is no count
    assert task.summary()["claimed_by"] == "7" and task.summary()["path"] == ".agents/tasks/t1.md"
