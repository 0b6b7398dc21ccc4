"""The console entry (agentmd/entry.py): a remembered run answered before click is imported, byte
for byte as the click path answers it; every other run handed to click unchanged."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path
from typing import NamedTuple

import click
import pytest
from click.testing import CliRunner

from agentmd import entry
from conftest import cli, git, imported_modules, invoke_with_args

ROOT = Path(__file__).resolve().parent.parent
# The click path, whatever the memo holds: the group itself, as the console script ran it before.
CLICK = "import sys; from agentmd.cli import run; run()"
BROKEN = "---\ntitle: [unclosed\n---\nA gotcha that cannot be read.\n"


class Ran(NamedTuple):
    code: int
    stdout: bytes
    stderr: bytes


def _run(argv: list[str], cwd: Path, env: dict | None) -> Ran:
    result = subprocess.run(
        argv, cwd=cwd, capture_output=True, env={**os.environ, **(env or {})}, timeout=60
    )
    return Ran(result.returncode, result.stdout, result.stderr)


def fast(cwd: Path, *args: str, env: dict | None = None) -> Ran:
    """`agentmd ARGS` through the console entry."""
    return _run([sys.executable, "-m", "agentmd", *args], cwd, env)


def slow(cwd: Path, *args: str, env: dict | None = None) -> Ran:
    """`agentmd ARGS` through the click group, as before the entry existed."""
    return _run([sys.executable, "-c", CLICK, *args], cwd, env)


def age(repo: Path, seconds: float = 10) -> None:
    """Every file under .agents/ (its cache aside) written `seconds` ago: out of the racy window,
    so that what was remembered of them is trusted."""
    stamp = time.time_ns() - int(seconds * 1e9)
    for folder, dirs, files in os.walk(repo / ".agents"):
        dirs[:] = [d for d in dirs if d != ".cache"]
        for name in files:
            os.utime(Path(folder) / name, ns=(stamp, stamp))


def forget(repo: Path) -> None:
    shutil.rmtree(repo / ".agents/.cache/memo", ignore_errors=True)


@pytest.fixture
def plan(example: Path) -> Path:
    """The example plan with one unreadable file, so that stderr says something too."""
    (example / ".agents/memory/gotchas/broken.md").write_text(BROKEN)
    age(example)
    return example


REMEMBERED = [
    ("next",),
    ("next", "--json"),
    ("next", "--budget", "1300"),
    ("next", "--budget=1300", "--json", "--tokens", "estimate"),
    ("next", "--parallel", "2"),
    ("next", "--parallel=3", "--json"),
    ("next", "--parallel", "2", "--explain"),
    ("prime",),
    ("prime", "--json", "--max-chars", "3000"),
    ("prime", "--as", "bob"),
    ("list",),
    ("list", "--json"),
    ("list", "--status", "todo", "--status=done", "--ready"),
]


@pytest.mark.parametrize("args", REMEMBERED, ids=" ".join)
def test_a_remembered_run_answers_as_click_answers_it(plan, args):
    first = slow(plan, *args)  # computed by click, and remembered
    assert first.code == 0, first.stderr
    assert first.stdout
    on_hit = slow(plan, *args)
    answered = fast(plan, *args)
    assert answered == on_hit == first
    modules = imported_modules(plan, *args)
    assert "agentmd.entry" in modules and "agentmd.workspace.memo" in modules
    assert "click" not in modules
    if args[0] == "next" and "--parallel" not in args:
        assert b"1 file(s) cannot be read" in answered.stderr  # stderr is remembered too


def test_a_miss_goes_to_click_which_remembers_it_for_the_entry(plan):
    miss = imported_modules(plan, "next")
    assert "click" in miss and "agentmd.prompt.compiler" in miss
    hit = imported_modules(plan, "next")
    assert "click" not in hit and "agentmd.entry" in hit
    # nor what only ranking needs (the graph module's dataclasses import inspect: 12 ms)
    assert "agentmd.tasks.graph" in miss and "agentmd.tasks.graph" not in hit
    assert "inspect" not in hit


def test_after_a_change_the_entry_hands_the_run_to_click(plan):
    before = fast(plan, "next")
    task = plan / ".agents/tasks/tokenizer.md"
    task.write_text(task.read_text() + "\nAlso split on hyphens.\n")
    age(plan)
    changed = fast(plan, "next")  # a miss: click computes it, and remembers it
    assert changed.code == 0
    assert b"Also split on hyphens." in changed.stdout
    assert b"Also split on hyphens." not in before.stdout
    assert fast(plan, "next") == changed == slow(plan, "next")
    forget(plan)
    assert slow(plan, "next") == changed  # what click computes afresh


def test_a_change_to_a_batch_goes_to_click_too(plan):
    fast(plan, "next", "--parallel", "2")
    git(plan, "commit", "-q", "--allow-empty", "-m", "HEAD moves: the batch's key with it")
    moved = imported_modules(plan, "next", "--parallel", "2")
    assert "click" in moved
    assert fast(plan, "next", "--parallel", "2") == slow(plan, "next", "--parallel", "2")


def test_minus_c_names_the_workspace(plan, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    remembered = slow(plan, "next")
    assert fast(elsewhere, "-C", str(plan), "next") == remembered
    relative = os.path.relpath(plan, elsewhere)
    assert fast(elsewhere, "-C", relative, "next") == remembered
    assert "click" not in imported_modules(elsewhere, "-C", relative, "next")
    assert "click" in imported_modules(elsewhere, "next", "--help")


def test_minus_c_to_no_folder_is_clicks_error(plan, tmp_path):
    missing = fast(tmp_path, "-C", "nowhere", "next")
    assert missing.code == 2
    assert b"'nowhere' does not exist" in missing.stderr
    assert missing == slow(tmp_path, "-C", "nowhere", "next")
    outside = fast(tmp_path, "next")  # no .agents/ here or above
    assert outside.code == 2 and b"no .agents/ folder" in outside.stderr
    assert outside == slow(tmp_path, "next")


def test_another_budget_is_another_answer(plan):
    remembered = fast(plan, "next")
    smaller = fast(plan, "next", "--budget", "1300")
    assert smaller.code == 0
    assert b"Left out to fit the 1,300-token budget" in smaller.stdout
    assert smaller.stdout != remembered.stdout
    too_small = fast(plan, "next", "--budget", "1200")
    assert too_small.code == 1 and too_small.stdout == b""
    assert b"too large to delegate" in too_small.stderr
    assert fast(plan, "next") == remembered


def test_json_and_explain_are_other_answers(plan):
    text = fast(plan, "next", "--parallel", "2")
    as_json = fast(plan, "next", "--parallel", "2", "--json")
    explained = fast(plan, "next", "--parallel", "2", "--explain")
    assert as_json.stdout.startswith(b"{\n")
    assert explained.stdout.startswith(b"side by side (")
    assert len({text.stdout, as_json.stdout, explained.stdout}) == 3


def test_who_asks_is_part_of_primes_answer(plan):
    claimed = cli(plan, "claim", "tokenizer", "--as", "bob")
    assert claimed.exit_code == 0, claimed.output
    age(plan)
    alice = fast(plan, "prime", env={"AGENTMD_AGENT": "alice"})
    assert b"## How to work here" in alice.stdout
    bob = fast(plan, "prime", env={"AGENTMD_AGENT": "bob"})
    assert b"# Split text into words" in bob.stdout
    assert bob.stdout != alice.stdout
    assert fast(plan, "prime", env={"AGENTMD_AGENT": "alice"}) == alice
    as_bob = fast(plan, "prime", "--as", "bob", env={"AGENTMD_AGENT": "alice"})
    assert as_bob.stdout == bob.stdout
    named = fast(plan, "prime", env={"AGENTMD_AGENT": "alice", "AGENTMD_TASK": "counter"})
    assert named.stdout != alice.stdout
    for env in ({"AGENTMD_AGENT": "alice"}, {"AGENTMD_AGENT": "bob"}):
        assert fast(plan, "prime", env=env) == slow(plan, "prime", env=env)


def test_two_users_of_one_checkout_get_their_own_prime(plan):
    """Without AGENTMD_AGENT the owner is user@host: remembered per user, not shared."""
    host = os.uname().nodename
    claimed = cli(plan, "claim", "tokenizer", "--as", f"alice@{host}")
    assert claimed.exit_code == 0, claimed.output
    age(plan)
    users = {
        name: {"AGENTMD_AGENT": "", "LOGNAME": name, "USER": name} for name in ("alice", "bob")
    }
    alice = fast(plan, "prime", env=users["alice"])
    assert b"# Split text into words" in alice.stdout
    bob = fast(plan, "prime", env=users["bob"])
    assert b"# Split text into words" not in bob.stdout and b"## How to work here" in bob.stdout
    again = fast(plan, "prime", env=users["alice"])
    assert again == alice == slow(plan, "prime", env=users["alice"])


def test_the_terminal_width_is_no_part_of_the_answer(plan):
    narrow = slow(plan, "next", env={"COLUMNS": "20"})
    forget(plan)
    wide = slow(plan, "next", env={"COLUMNS": "300"})
    assert narrow == wide
    assert fast(plan, "next", env={"COLUMNS": "20"}) == wide


def test_ansi_codes_click_would_strip_go_to_click(plan):
    task = plan / ".agents/tasks/tokenizer.md"
    task.write_text(task.read_text() + "\nKeep \x1b[1mbold\x1b[0m as it is.\n")
    age(plan)
    first = slow(plan, "next")
    assert b"Keep bold as it is." in first.stdout and b"\x1b" not in first.stdout  # stripped
    assert "\x1b" in entry.recall_of(plan, ["next"])[0]  # the memo holds it as it was
    assert "click" in imported_modules(plan, "next")
    assert fast(plan, "next") == first


def test_a_stream_that_cannot_encode_the_answer_goes_to_click(plan):
    task = plan / ".agents/tasks/tokenizer.md"
    task.write_text(task.read_text().replace("Split text into words", "Split text → words"))
    age(plan)
    slow(plan, "next")
    ascii_env = {"PYTHONIOENCODING": "ascii"}  # click writes UTF-8 to an ASCII stream
    assert fast(plan, "next", env=ascii_env) == slow(plan, "next", env=ascii_env)
    latin = {"PYTHONIOENCODING": "latin-1"}  # "→" is not Latin-1: click fails, and says so
    failed, failed_too = fast(plan, "next", env=latin), slow(plan, "next", env=latin)
    assert failed.code == failed_too.code != 0
    assert failed.stdout == failed_too.stdout == b""
    assert failed.stderr.splitlines()[0] == failed_too.stderr.splitlines()[0]
    assert fast(plan, "next").stdout.count("→".encode()) == 1


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["--version"],
        ["-h"],
        ["next", "--help"],
        ["next", "--claim"],
        ["next", "--as", "bob"],
        ["next", "--tokens", "exact"],
        ["next", "--tokens=exact"],
        ["next", "--budget", "0"],
        ["next", "--budget", "12x"],
        ["next", "--budget", "١٢"],  # int() reads Arabic-Indic digits; click's own check may not
        ["next", "--budget"],
        ["next", "--budget", "--json"],
        ["next", "--budget", "5", "--budget", "6"],
        ["next", "--json=1"],
        ["next", "extra"],
        ["next", "--"],
        ["next", "--jso"],
        ["prime", "--max-chars", "199"],
        ["prime", "--as", ""],
        ["prime", "--as", "a\nb"],
        ["list", "--status"],
        ["show", "tokenizer"],
        ["-C"],
        ["-C", "."],
        ["-C.", "next"],
        ["-C", ".", "-C", ".", "next"],
        ["next", "-C", "."],
    ],
    ids=repr,
)
def test_anything_else_goes_to_click(args):
    assert entry.parse(args) is None


def test_the_shapes_the_entry_reads(tmp_path):
    assert entry.parse(["next"]) == (None, "next", {})
    assert entry.parse(["-C", "x", "next", "--parallel=8", "--json"]) == (
        "x",
        "next",
        {"--parallel": 8, "--json": True},
    )
    assert entry.parse(["list", "--status", "todo", "--status", "done"]) == (
        None,
        "list",
        {"--status": ["todo", "done"]},
    )
    assert entry.parse(["prime", "--max-chars", "0200"]) == (None, "prime", {"--max-chars": 200})


def test_shell_completion_goes_to_click(plan, monkeypatch):
    slow(plan, "next")
    assert entry.recall_of(plan, ["next"]) is not None
    monkeypatch.setenv("_AGENTMD_COMPLETE", "bash_source")
    assert entry.remembered(["next"]) is None


def test_the_console_script_is_the_entry():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts == {"agentmd": "agentmd.entry:run"}
    assert "from agentmd.entry import run" in (ROOT / "src/agentmd/__main__.py").read_text()


def test_a_miss_hands_its_scan_to_click(plan, monkeypatch):
    from agentmd.cli.errors import invoke

    slow(plan, "next")
    task = plan / ".agents/tasks/counter.md"
    task.write_text(task.read_text() + "\nA note.\n")  # the remembered output is stale now
    age(plan)
    monkeypatch.chdir(plan)
    scanned: list = []
    assert entry.remembered(["next"], scanned) is None
    [ws] = scanned
    assert "scanned" in vars(ws) and "index" not in vars(ws)
    runner = CliRunner()
    with runner.isolation() as (out, err, *_):
        code = invoke_with_args(lambda group: invoke(group, ws), ["next"])
        printed = out.getvalue()
    assert code == 0 and printed.startswith(b"# Split text into words\n")
    assert "index" in vars(ws)  # the command read the plan through the workspace it was given
    assert entry.recall_of(plan, ["next"]) == (printed.decode(), err.getvalue().decode())


def test_a_cold_miss_is_read_before_click_runs_and_handed_to_it(plan, monkeypatch):
    from agentmd.cli.errors import invoke
    from agentmd.workspace import forked

    expected = slow(plan, "next")
    shutil.rmtree(plan / ".agents" / ".cache")
    monkeypatch.chdir(plan)
    scanned: list = []
    assert entry.remembered(["next"], scanned) is None
    [ws] = scanned
    assert "index" in vars(ws) and ws.write_behind  # read ahead, its cache written behind
    forked.wait_background()
    assert (plan / ".agents" / ".cache" / "index.bin").exists()
    runner = CliRunner()
    with runner.isolation() as (out, err, *_):
        code = invoke_with_args(lambda group: invoke(group, ws), ["next"])
        printed = out.getvalue()
    assert (code, printed, err.getvalue()) == (expected.code, expected.stdout, expected.stderr)
    scanned.clear()
    assert entry.remembered(["next", "--parallel", "2"], scanned) is None  # no cold read ahead:
    assert "index" not in vars(scanned[0])  # a batch is the command's to read


def test_a_ctrl_c_in_a_cold_read_the_entry_began_is_said_as_click_says_it(plan):
    shutil.rmtree(plan / ".agents" / ".cache", ignore_errors=True)
    interrupted = (
        "from agentmd.prompt import next as core\n"
        "def read_ahead(ws):\n"
        "    raise KeyboardInterrupt\n"
        "core.read_ahead = read_ahead\n"
        "from agentmd.entry import run\n"
        "run()\n"
    )
    said = _run([sys.executable, "-c", interrupted, "next"], plan, None)
    assert (said.code, said.stdout, said.stderr) == (130, b"", b"\nagentmd: aborted\n")


def test_click_goes_on_only_with_the_workspace_of_its_folder(plan, repo, tmp_path):
    from agentmd.cli import main
    from agentmd.cli.common import open_workspace
    from agentmd.workspace.folder import Workspace

    other = tmp_path / "other"
    (other / ".agents").mkdir(parents=True)
    given = Workspace(plan)
    old = Path.cwd()
    try:
        os.chdir(other)
        with click.Context(main, obj=given):
            found = open_workspace()
            assert found.root == other and found is not given
        os.chdir(plan)
        with click.Context(main, obj=given) as ctx:
            assert open_workspace() is given
            assert ctx.obj is None
            again = open_workspace()  # taken once: a second opening reads the folder anew
            assert again is not given and again.root == plan
    finally:
        os.chdir(old)


LEAVE = """
import atexit, sys, threading, time
from agentmd import entry
atexit.register(lambda: print("atexit ran"))
if sys.argv[1] == "closed":  # once the reader is gone
    sys.stdin.read()
sys.stdout.write("buffered, not flushed\\n")
sys.stderr.write("on stderr too")
if sys.argv[1] == "thread":  # a thread still working: Python joins it, as always
    threading.Thread(target=lambda: (time.sleep(0.3), print("the thread's last word"))).start()
entry.leave(int(sys.argv[2]))
"""


def buffered_env() -> dict[str, str]:
    """The environment as a shell gives it: output buffered (a sandbox may set
    PYTHONUNBUFFERED, and then nothing would be left to flush)."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}


@pytest.mark.parametrize("threads, said", [("none", []), ("thread", ["the thread's last word"])])
def test_leaving_runs_the_atexit_handlers_then_flushes_and_keeps_the_code(tmp_path, threads, said):
    script = tmp_path / "leave.py"
    script.write_text(LEAVE)
    for code in (0, 3):
        run = subprocess.run(
            [sys.executable, str(script), threads, str(code)],
            capture_output=True,
            text=True,
            timeout=60,
            env=buffered_env(),
        )
        assert run.returncode == code
        # what the atexit handler printed is flushed too
        assert run.stdout.splitlines() == ["buffered, not flushed", *said, "atexit ran"]
        assert run.stderr == "on stderr too"


def test_leaving_into_a_closed_pipe_says_so_as_python_does(tmp_path):
    script = tmp_path / "leave.py"
    script.write_text(LEAVE)
    run = subprocess.Popen(
        [sys.executable, str(script), "closed", "0"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=buffered_env(),
    )
    assert run.stdin is not None and run.stdout is not None and run.stderr is not None
    run.stdout.close()  # the reader is gone before anything is flushed
    run.stdin.close()  # and then the script writes, and leaves
    stderr = run.stderr.read().decode()
    # Python's own exit when stdout cannot be flushed: 120, and the reason on stderr
    assert run.wait(timeout=60) == 120
    assert "BrokenPipeError" in stderr


def test_a_cold_next_through_the_console_script_prints_it_whole(plan):
    shutil.rmtree(plan / ".agents" / ".cache", ignore_errors=True)
    through_entry = fast(plan, "next")
    shutil.rmtree(plan / ".agents" / ".cache")
    through_click = slow(plan, "next")
    assert through_entry == through_click and through_entry.code == 0
    assert through_entry.stdout.endswith(b"\n") and len(through_entry.stdout) > 500
