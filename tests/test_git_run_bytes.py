"""git.run_bytes, the commit hook's way to run git without the subprocess module: the same
answers as git.run, bytes as git wrote them, and no deadlock when both pipes carry a lot."""

from __future__ import annotations

import pytest

from agentmd import git as agit
from agentmd.precommit import Staged, hook_env, staged_problems
from conftest import git


def test_it_answers_as_run_does_and_fails_with_the_same_message(example):
    for args in (["rev-parse", "HEAD"], ["ls-files", "-z"], ["log", "-1", "--format=%s%n%b"]):
        ran = agit.run_bytes(args, example)
        assert ran.returncode == 0 and ran.stdout == agit.run(args, example).stdout
        assert ran.raw == ran.stdout.encode()
    with pytest.raises(agit.GitError) as failed:
        agit.run_bytes(["rev-parse", "--verify", "no-such-ref"], example)
    with pytest.raises(agit.GitError) as expected:
        agit.run(["rev-parse", "--verify", "no-such-ref"], example)
    assert str(failed.value) == str(expected.value)
    assert str(failed.value) == "git rev-parse failed: fatal: Needed a single revision"
    unchecked = agit.run_bytes(["rev-parse", "--verify", "no-such-ref"], example, check=False)
    assert unchecked.returncode == 128 and unchecked.raw == b""
    assert unchecked.stderr == "fatal: Needed a single revision\n"


def test_git_missing_is_the_same_error(example, monkeypatch):
    monkeypatch.setenv("PATH", str(example / "nowhere"))
    with pytest.raises(agit.GitError, match="^git is not installed or not on PATH$"):
        agit.run_bytes(["status"], example)


def test_much_input_and_much_output_at_once_do_not_wait_on_each_other(example):
    big = "x" * 300_000 + "\n"
    (example / "big.txt").write_text(big)
    git(example, "add", "big.txt")
    query = ":big.txt\n" * 40 + "".join(f":missing-{n:06d}\n" for n in range(8_000))
    ran = agit.run_bytes(["cat-file", "--batch"], example, input=query.encode())
    assert ran.returncode == 0
    assert ran.raw.count(big.encode()) == 40
    assert ran.raw.count(b" missing\n") == 8_000


def test_a_staged_crlf_file_is_read_byte_for_byte(example):
    # run's text mode turned CRLF into LF, and the blobs after such a file were cut wrong.
    crlf = "---\r\ntitle: CRLF\r\nstatus: todo\r\n---\r\nbody\r\n"
    (example / ".agents/tasks/crlf.md").write_bytes(crlf.encode())
    (example / ".agents/tasks/after.md").write_text("---\ntitle: After\nstatus: todo\n---\n")
    git(example, "add", ".agents/tasks/crlf.md", ".agents/tasks/after.md")
    tree = Staged(example, hook_env())
    tree.read([".agents/tasks/crlf.md", ".agents/tasks/after.md"])
    assert tree.show(".agents/tasks/crlf.md") == crlf
    assert tree.show(".agents/tasks/after.md") == "---\ntitle: After\nstatus: todo\n---\n"
    assert staged_problems(example) == []
