"""Reading .agents/ as users leave it: broken files are named and skipped, never guessed."""

from __future__ import annotations

import json
import marshal
import os
import shutil

import pytest

from agentmd.workspace import index_cache
from conftest import cli, git, run_agentmd

TASK = "---\ntitle: {title}\nstatus: {status}\ndepends_on: [{deps}]\n---\n## Goal\n\n{title}.\n"


def write_task(repo, task_id, title="T", status="todo", deps=""):
    path = repo / ".agents" / "tasks" / f"{task_id}.md"
    path.write_text(TASK.format(title=title, status=status, deps=deps))
    return path


def test_a_task_that_is_not_utf8_is_named_and_its_dependents_are_blocked(repo):
    cli(repo, "init")
    (repo / ".agents/tasks/broken.md").write_bytes(b"---\ntitle: caf\xe9\n---\n")
    write_task(repo, "after", deps="broken")
    write_task(repo, "free", title="Free")
    result = cli(repo, "next", "--explain")
    assert result.exit_code == 0
    # one summary line outside check, list and status; list names the file
    assert result.stderr == "agentmd: warning: 1 file(s) cannot be read: agentmd check lists them\n"
    assert ".agents/tasks/broken.md:2:11: error not-utf8: byte 0xe9 is not UTF-8" in (
        cli(repo, "list").stderr
    )
    assert "1. free" in result.stdout
    assert "after: depends on 'broken', whose file cannot be read" in result.stdout
    assert "broken: its file cannot be read" in result.stdout


def test_broken_yaml_is_reported_with_line_and_fix_and_the_rest_still_lists(repo):
    cli(repo, "init")
    (repo / ".agents/tasks/bad.md").write_text("---\ntitle: Fix: parser\nstatus: todo\n---\n")
    write_task(repo, "good", title="Good")
    result = cli(repo, "list")
    assert result.exit_code == 0
    assert result.stderr.startswith(".agents/tasks/bad.md:2:11: error yaml: ")
    assert "hint: the value contains ': ': quote the value: title: \"Fix: parser\"" in result.stderr
    assert "good" in result.stdout


def test_claim_names_a_task_file_that_is_not_utf8_and_claims_the_other(example):
    (example / ".agents/tasks/broken.md").write_bytes(b"---\ntitle: caf\xe9\n---\n")
    result = cli(example, "claim", "tokenizer")
    assert result.exit_code == 0
    assert result.stdout == "claimed tokenizer as tester\n"
    assert result.stderr == "agentmd: warning: 1 file(s) cannot be read: agentmd check lists them\n"
    assert "status: active\n" in (example / ".agents/tasks/tokenizer.md").read_text()


@pytest.mark.parametrize(
    ("args", "stdout"),
    [
        (["block", "cli", "--reason", "waiting"], "blocked cli\n"),
        (
            ["fail", "tokenizer", "--reason", "tests fail"],
            "tokenizer: attempt 1 failed, now todo\n",
        ),
        (["release", "tokenizer"], "released tokenizer (was active, by tester)\n"),
        (["done", "tokenizer", "--force"], "done tokenizer (forced; logged in memory/log.md)\n"),
    ],
)
def test_lifecycle_commands_name_a_broken_task_file_and_do_their_job(example, args, stdout):
    assert cli(example, "claim", "tokenizer").exit_code == 0
    (example / ".agents/tasks/bad.md").write_text("---\ntitle: Fix: parser\nstatus: todo\n---\n")
    result = cli(example, *args)
    assert result.exit_code == 0, result.output
    assert result.stdout == stdout
    assert result.stderr.startswith(
        "agentmd: warning: 1 file(s) cannot be read: agentmd check lists them\n"
    )


@pytest.mark.parametrize(
    "args",
    [
        ["show", "tokenizer"],
        ["verify", "tokenizer"],
        ["claim", "tokenizer"],
        ["done", "tokenizer"],
        ["fail", "tokenizer", "--reason", "x"],
        ["block", "tokenizer", "--reason", "x"],
        ["release", "tokenizer"],
        ["handoff", "new", "tokenizer"],
        ["worktree", "tokenizer"],
        ["review", "tokenizer"],
    ],
    ids=lambda args: " ".join(args[:2]),
)
def test_a_command_on_a_task_whose_file_cannot_be_read_says_so_once_and_changes_nothing(
    example, args
):
    path = example / ".agents/tasks/tokenizer.md"
    path.write_bytes(b"---\ntitle: caf\xe9\nstatus: active\n---\n")
    result = cli(example, *args)
    assert result.exit_code == 2
    assert (
        result.stderr
        == ".agents/tasks/tokenizer.md:2:11: error not-utf8: byte "
           "0xe9 is not UTF-8\n  hint: save the file as UTF-8\n"
    )
    assert result.stdout == ""
    assert path.read_bytes() == b"---\ntitle: caf\xe9\nstatus: active\n---\n"
    assert git(example, "status", "--porcelain") == " M .agents/tasks/tokenizer.md\n"


def _log_is_a_folder(repo):
    (repo / ".agents/memory/log.md").unlink()
    (repo / ".agents/memory/log.md").mkdir()


def _file_instead_of(folder):
    def sabotage(repo):
        shutil.rmtree(repo / folder, ignore_errors=True)
        (repo / folder).write_text("")

    return sabotage


IN_THE_WAY = (
    "1:1: error not-a-folder: a file is where a directory was expected (this path or one above "
    "it)\n  hint: move the file aside\n"
)


@pytest.mark.parametrize(
    ("sabotage", "args", "stderr"),
    [
        (
            _log_is_a_folder,
            ["claim", "tokenizer"],
            ".agents/memory/log.md:1:1: error not-a-file: is a directory "
            "where a file was expected\n  hint: move it aside\n",
        ),
        (_file_instead_of(".agents/tasks"), ["add", "New thing"], ".agents/tasks:" + IN_THE_WAY),
        (
            _file_instead_of(".agents/.cache"),
            ["claim", "tokenizer"],
            ".agents/.cache:" + IN_THE_WAY,
        ),
        (_file_instead_of(".git/hooks"), ["hooks", "install"], ".git/hooks:" + IN_THE_WAY),
    ],
    ids=["log.md is a folder", "tasks/ is a file", ".cache/ is a file", ".git/hooks is a file"],
)
def test_a_file_or_folder_in_the_way_of_a_write_is_located_and_exits_2(
    example, sabotage, args, stderr
):
    sabotage(example)
    result = cli(example, *args)
    assert result.exit_code == 2
    assert result.stderr == stderr


@pytest.mark.parametrize("folder", ["memory/decisions", "rules", "handoffs"])
def test_a_file_where_a_folder_of_agents_belongs_is_named_cold_and_cached(example, folder):
    path = example / ".agents" / folder
    shutil.rmtree(path)
    path.write_text("")
    for read in ("cold", "cached"):  # no cache yet, then the one the first run wrote
        result = cli(example, "next")
        assert result.exit_code == 0, (read, result.output)
        listed = cli(example, "list")
        assert f".agents/{folder}:1:1: error not-a-folder: should be a folder" in listed.stderr


def test_a_directory_where_a_task_file_should_be_is_named(repo):
    cli(repo, "init")
    (repo / ".agents/tasks/folder.md").mkdir()
    result = cli(repo, "list")
    assert result.exit_code == 0
    assert (
        ".agents/tasks/folder.md:1:1: error not-a-file: is a directory where a file was expected"
        in result.stderr
    )


def test_a_huge_file_is_refused_with_its_size(repo):
    cli(repo, "init")
    with open(repo / ".agents/tasks/huge.md", "wb") as handle:
        handle.truncate(50 * 1024 * 1024)
    result = cli(repo, "list")
    assert result.exit_code == 0
    assert ".agents/tasks/huge.md:1:1: error too-large: file is 52,428,800 bytes" in result.stderr


def test_a_symlink_out_of_the_repository_is_not_followed(repo, tmp_path):
    cli(repo, "init")
    secret = tmp_path / "secret.md"
    secret.write_text("---\ntitle: secret\n---\n")
    os.symlink(secret, repo / ".agents/tasks/link.md")
    result = cli(repo, "list", "--json")
    assert "symlink-outside" in result.stderr
    assert json.loads(result.stdout)["tasks"][0]["title"] == "link"


def test_hostile_ids_are_refused(repo):
    cli(repo, "init")
    for args in (
        ["show", "../../etc/passwd"],
        ["add", "x", "--id", "../escape"],
        ["claim", ".hidden"],
    ):
        result = cli(repo, *args)
        assert result.exit_code == 2, args
        assert "is not a valid task id" in result.stderr
    assert not (repo / ".agents/escape.md").exists()


def test_dash_C_acts_as_if_started_there(repo, tmp_path):
    cli(repo, "init")
    write_task(repo, "one", title="One")
    result = cli(tmp_path, "-C", str(repo), "list")
    assert result.stdout.startswith("one ")


def test_the_index_cache_sees_an_edit_with_the_same_size(repo):
    cli(repo, "init")
    path = write_task(repo, "a", title="AAAA")
    assert "AAAA" in cli(repo, "list").stdout
    path.write_text(path.read_text().replace("AAAA", "BBBB"))
    assert "BBBB" in cli(repo, "list").stdout


def test_the_index_cache_holds_data_and_runs_nothing(repo):
    """marshal decodes the cache (index_cache.py); what decodes to anything but the records'
    shape is no cache, and even a code object in it is never run."""
    cli(repo, "init")
    write_task(repo, "a")
    cli(repo, "list")
    cache = repo / ".agents/.cache/index.bin"
    with open(cache, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        assert handle.readline() == index_cache.HEADER
        assert marshal.loads(index_cache._frame(handle, size))[0] > 0  # when it was written
        keys = marshal.loads(index_cache._frame(handle, size))
    assert [rel for rel, _ in keys] == ["plan.md", "tasks/a.md"]
    ran = repo / "ran"
    code = compile(f"open({str(ran)!r}, 'w').close()", "cache", "exec")
    record = (0, code, 1, None, False, b"")  # a code object where the fields belong
    frames = index_cache._framed((1, ((("title",), (2,)),))) + index_cache._framed(keys)
    frames += index_cache._framed((record, record)) + index_cache._framed(None)
    cache.write_bytes(index_cache.HEADER + frames)
    listed = cli(repo, "list")
    assert listed.exit_code == 0 and listed.stdout.startswith("a  ready ")
    assert not ran.exists()
    cache.write_bytes(b"\x80\x04 not a cache")
    assert cli(repo, "list").exit_code == 0


def test_unknown_dependency_blocks_the_task(repo):
    cli(repo, "init")
    write_task(repo, "a", deps="ghost")
    result = cli(repo, "next")
    assert result.exit_code == 1
    assert "nothing is ready (1 todo); 1 todo blocked" in result.stderr
    assert "depends on unknown task 'ghost'" in cli(repo, "next", "--explain").stdout


def test_init_never_overwrites(repo):
    cli(repo, "init")
    plan = repo / ".agents/plan.md"
    plan.write_text("---\ntitle: mine\n---\n")
    result = cli(repo, "init", "--example")
    assert "kept    .agents/plan.md" in result.stdout
    assert plan.read_text() == "---\ntitle: mine\n---\n"


@pytest.mark.parametrize(
    "manifest, text, title",
    [
        ("pyproject.toml", '[project]\nname = "itsdangerous"\n', "itsdangerous"),
        ("package.json", '{"name": "@sindresorhus/slugify"}', '"@sindresorhus/slugify"'),
        ("Cargo.toml", '[package]\nname = "ripgrep"\n', "ripgrep"),
        ("pyproject.toml", "[project\nname = broken", "repo"),  # broken: the folder's name
        ("package.json", b"\xff\xfe not utf-8", "repo"),
        ("package.json", '["a list"]', "repo"),
    ],
)
def test_init_titles_the_plan_with_the_projects_own_name(repo, manifest, text, title):
    (repo / manifest).write_bytes(text if isinstance(text, bytes) else text.encode())
    result = cli(repo, "init")
    assert result.exit_code == 0, result.output
    plan = (repo / ".agents/plan.md").read_text()
    assert plan.startswith(f"---\ntitle: {title}\n# Settings")
    assert cli(repo, "check").exit_code == 0


def test_a_refresh_in_the_same_process_sees_an_edit_made_the_same_instant(repo):
    """The loop keeps one Workspace: records it read are reused only for files that have not
    changed since, the racy window included."""
    from agentmd.workspace.folder import Workspace

    cli(repo, "init")
    for name in ("a", "b"):
        write_task(repo, name, title=name.upper() * 4)
    ws = Workspace(repo)
    first = ws.tasks["b"].record
    assert ws.tasks["a"].title == "AAAA"
    path = repo / ".agents/tasks/a.md"
    path.write_text(path.read_text().replace("AAAA", "CCCC"))  # same size, same second
    ws.refresh()
    assert ws.tasks["a"].title == "CCCC"
    assert ws.tasks["b"].record == first
    path.unlink()
    ws.refresh()
    assert "b" in ws.tasks
    assert "a" not in ws.tasks


def test_a_few_changed_files_do_not_rewrite_the_index_cache(repo):
    cli(repo, "init")
    for number in range(3):
        write_task(repo, f"t{number}", title=f"T{number}")
    cli(repo, "list")
    cache = repo / ".agents/.cache/index.bin"
    before = cache.read_bytes()
    path = repo / ".agents/tasks/t1.md"
    path.write_text(path.read_text().replace("title: T1", "title: changed"))
    assert "changed" in cli(repo, "list").stdout
    assert cache.read_bytes() == before  # parsed again, cheaper than rewriting 10,000 entries
    assert "changed" in cli(repo, "list").stdout


def test_a_pipe_where_a_file_belongs_is_named_and_never_waited_on(repo):
    """Reading or appending to a FIFO would block forever: each is a located error instead."""
    cli(repo, "init")
    write_task(repo, "a")
    os.mkfifo(repo / ".agents/tasks/pipe.md")
    os.mkfifo(repo / "notes.md")
    listed = run_agentmd(repo, "list", timeout=20)
    assert listed.returncode == 0 and listed.stdout.startswith("a ")
    assert ".agents/tasks/pipe.md:1:1: error not-a-file: is not a regular file" in listed.stderr
    checked = run_agentmd(repo, "check", "notes.md", timeout=20)
    assert checked.returncode == 1
    assert "notes.md:1:1: error not-a-file: is not a regular file" in checked.stdout
    (repo / ".agents/memory/log.md").unlink()
    os.mkfifo(repo / ".agents/memory/log.md")
    claimed = run_agentmd(repo, "claim", "a", timeout=20)
    assert claimed.returncode == 2
    assert ".agents/memory/log.md:1:1: error not-a-file: is not a regular file" in claimed.stderr


def test_a_log_that_cannot_take_its_line_stops_the_change_before_anything_is_written(repo):
    cli(repo, "init")
    write_task(repo, "a")
    before = (repo / ".agents/tasks/a.md").read_bytes()
    (repo / ".agents/memory/log.md").unlink()
    (repo / ".agents/memory/log.md").mkdir()
    for args in (
        ("claim", "a"),
        ("add", "B"),
        ("block", "a", "--reason", "r"),
        ("fail", "a", "--reason", "r"),
    ):
        result = cli(repo, *args)
        assert result.exit_code == 2, args
        assert result.stderr.startswith(
            ".agents/memory/log.md:1:1: error not-a-file: is a directory where a file was expected"
        ), args
    assert (repo / ".agents/tasks/a.md").read_bytes() == before
    assert sorted(p.name for p in (repo / ".agents/tasks").glob("*.md")) == ["a.md"]


def test_status_counts_one_task_in_the_singular(repo):
    cli(repo, "init")
    assert cli(repo, "add", "Write the parser").exit_code == 0
    assert cli(repo, "status").stdout.splitlines()[0] == "repo: 1 task (1 todo)"
    assert cli(repo, "add", "Write the printer").exit_code == 0
    assert cli(repo, "status").stdout.splitlines()[0] == "repo: 2 tasks (2 todo)"


def test_init_names_the_commands_that_take_in_the_rules_and_plans_already_kept(repo):
    # (init said nothing of an AGENTS.md, a Cursor rule or a TODO.md there before it)
    (repo / "AGENTS.md").write_text("# Rules\n\nBe careful.\n")
    (repo / ".cursor/rules").mkdir(parents=True)
    (repo / ".cursor/rules/style.mdc").write_text("---\nalwaysApply: true\n---\nTabs.\n")
    (repo / "TODO.md").write_text("# Plan\n\n- [ ] Ship it\n")
    (repo / "NOTES.md").write_text("- [ ] not a plan's name\n")
    git(repo, "add", "-A")
    before = {p: p.read_bytes() for p in repo.rglob("*") if p.is_file() and ".git" not in p.parts}
    result = cli(repo, "init")
    assert result.stdout.endswith(
        "\nFound what this repository kept before agentmd; to take it in:\n"
        "  agentmd rules import                           # .cursor/rules/style.mdc, AGENTS.md "
        "into .agents/rules/\n"
        "  agentmd import checklist TODO.md               # its checkbox items\n"
    )
    assert all(p.read_bytes() == data for p, data in before.items())  # none of them touched
