"""Real processes racing: claims are exclusive, a dead lock holder is recovered, and a writer
killed at any instant leaves the old file or the new one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import cli

CLAIMER = """
import sys
from pathlib import Path
from agentmd.tasks import claims
from agentmd.workspace.folder import Workspace

ws = Workspace(Path(sys.argv[1]))
owner = sys.argv[2]
claimed = []
while True:
    task = claims.claim_next(ws, owner, lambda ready: ready[0].task if ready else None)
    if task is None:
        break
    claimed.append(task.id)
print("\\n".join(claimed))
"""


@pytest.mark.slow
def test_eight_processes_claim_two_hundred_tasks_each_exactly_once(repo):
    cli(repo, "init")
    for n in range(200):
        (repo / f".agents/tasks/t{n:03d}.md").write_text(
            f"---\ntitle: Task {n}\nstatus: todo\n---\n"
        )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CLAIMER, str(repo), f"w{n}"], stdout=subprocess.PIPE, text=True
        )
        for n in range(8)
    ]
    claims = {}
    for n, proc in enumerate(procs):
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0
        for task_id in out.split():
            assert task_id not in claims, f"{task_id} claimed twice"
            claims[task_id] = f"w{n}"
    assert len(claims) == 200
    for task_id, owner in claims.items():
        text = (repo / f".agents/tasks/{task_id}.md").read_text()
        assert f"claimed_by: {owner}\n" in text and "status: active\n" in text
    assert len(set(claims.values())) > 1, "the race never happened: one process took everything"
    log = (repo / ".agents/memory/log.md").read_text()
    assert log.count(" claim ") == 200


HOLDER = """
import sys, time
from pathlib import Path
from agentmd.workspace.folder import Workspace

with Workspace(Path(sys.argv[1])).lock():
    print("locked", flush=True)
    time.sleep(60)
"""


def test_a_lock_left_by_a_killed_process_is_recovered(repo):
    cli(repo, "init")
    cli(repo, "add", "Only task", "--id", "only")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(repo)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout.readline() == "locked\n"
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=10)
    started = time.monotonic()
    result = cli(repo, "claim", "only")
    assert result.exit_code == 0, result.output
    assert time.monotonic() - started < 5


WRITER = """
import sys
from pathlib import Path
from agentmd.files.textfile import atomic_write

path = Path(sys.argv[1])
a = "A" * 3_000_000 + "\\n"
b = "B" * 2_000_000 + "\\n"
print("ready", flush=True)
n = 0
while True:
    atomic_write(path, a if n % 2 else b)
    n += 1
"""


@pytest.mark.slow
def test_a_writer_killed_mid_write_never_leaves_a_truncated_file(tmp_path):
    path = tmp_path / "task.md"
    path.write_text("A" * 3_000_000 + "\n")
    valid = {"A" * 3_000_000 + "\n", "B" * 2_000_000 + "\n"}
    for delay in (0.01, 0.03, 0.05, 0.08, 0.13, 0.21, 0.34, 0.02, 0.07, 0.11):
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True
        )
        assert writer.stdout.readline() == "ready\n"
        time.sleep(delay)
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait(timeout=10)
        assert path.read_text() in valid
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "task.md"]
    assert all(name.startswith(".task.md.") and name.endswith(".tmp") for name in leftovers)


def test_a_failed_write_leaves_the_old_file_and_no_temp_file(tmp_path, monkeypatch):
    from agentmd.files import textfile

    path = tmp_path / "plan.md"
    path.write_text("old\n")

    def broken_fsync(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(textfile.os, "fsync", broken_fsync)
    with pytest.raises(OSError):
        textfile.atomic_write(path, "new\n")
    assert path.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["plan.md"]


def test_atomic_write_keeps_the_file_mode(tmp_path):
    from agentmd.files.textfile import atomic_write

    path = tmp_path / "x.md"
    path.write_text("a")
    path.chmod(0o640)
    atomic_write(path, "b")
    assert (path.stat().st_mode & 0o777, path.read_text()) == (0o640, "b")


def test_readers_never_see_a_partial_file_while_claims_run(repo):
    """Sanity of the whole path: list while another process claims does not error."""
    cli(repo, "init")
    for n in range(30):
        (repo / f".agents/tasks/t{n:02d}.md").write_text(f"---\ntitle: Task {n}\n---\n")
    claimer = subprocess.Popen(
        [sys.executable, "-c", CLAIMER, str(repo), "w"], stdout=subprocess.PIPE, text=True
    )
    while claimer.poll() is None:
        result = cli(repo, "list", "--json")
        assert result.exit_code == 0 and result.stderr == "", result.stderr
    assert len(claimer.stdout.read().split()) == 30
    assert Path(repo / ".agents/tasks").is_dir()


def test_atomic_write_not_durable_replaces_the_file_whole_without_fsync(tmp_path, monkeypatch):
    from agentmd.files import textfile

    path = tmp_path / "page.html"
    path.write_text("old")
    synced = []
    monkeypatch.setattr(textfile.os, "fsync", lambda fd: synced.append(fd))
    textfile.atomic_write(path, "new", durable=False)
    assert (path.read_text(), synced) == ("new", [])
    assert [p.name for p in tmp_path.iterdir()] == ["page.html"]
    textfile.atomic_write(path, "newer")  # durable, as every other writer asks
    assert path.read_text() == "newer" and len(synced) == 2  # the file and its folder
