"""`--push` with a person's own work in the clone: an uncommitted edit is never turned into a
conflict or a stash, a local commit is never published with a claim, and the claim's log line
goes with it."""

from __future__ import annotations

from pathlib import Path

from conftest import cli, git
from test_push_claims import clone, remote_with_plan


def remote_moves(tmp_path: Path, bare: Path, path: str, text: str) -> None:
    """Another clone changes `path` and pushes."""
    other = clone(tmp_path, bare, "other")
    (other / path).write_text(text)
    git(other, "commit", "-q", "-am", f"edit {path}")
    git(other, "push", "-q")


def test_an_uncommitted_edit_the_remote_also_changed_stops_the_claim_and_is_kept(tmp_path, repo):
    bare = remote_with_plan(tmp_path, repo, ["t0", "t1"])
    alice = clone(tmp_path, bare, "alice")
    t1 = ".agents/tasks/t1.md"
    remote_moves(tmp_path, bare, t1, (alice / t1).read_text().replace("Task t1", "Task one"))
    mine = (alice / t1).read_text().replace("priority: medium", "priority: high")
    (alice / t1).write_text(mine)
    head = git(alice, "rev-parse", "HEAD")
    result = cli(alice, "next", "--claim", "--push", "--as", "alice")
    assert result.exit_code == 2, result.output
    assert result.stderr == (
        "agentmd: error: cannot bring this branch up to date with origin/main: it changed "
        ".agents/tasks/t1.md, which you have uncommitted edits to; nothing was changed\n"
        "  hint: commit or stash those edits, then claim again\n"
    )
    assert (alice / t1).read_text() == mine  # the edit, byte for byte; no conflict markers
    assert git(alice, "status", "--porcelain") == " M .agents/tasks/t1.md\n"
    assert git(alice, "stash", "list") == ""
    assert git(alice, "rev-parse", "HEAD") == head
    assert "status: todo" in (alice / ".agents/tasks/t0.md").read_text()


def test_an_uncommitted_edit_elsewhere_stays_uncommitted_and_the_claim_is_pushed(tmp_path, repo):
    bare = remote_with_plan(tmp_path, repo, ["t0", "t1"])
    alice = clone(tmp_path, bare, "alice")
    remote_moves(tmp_path, bare, "README.md", "# moved on\n")
    t1 = ".agents/tasks/t1.md"
    mine = (alice / t1).read_text().replace("priority: medium", "priority: low")
    (alice / t1).write_text(mine)
    result = cli(alice, "next", "--claim", "--push", "--as", "alice")
    assert result.exit_code == 0, result.output
    assert (alice / t1).read_text() == mine
    assert git(alice, "status", "--porcelain") == " M .agents/tasks/t1.md\n"
    assert git(alice, "stash", "list") == ""
    assert (alice / "README.md").read_text() == "# moved on\n"  # caught up
    pushed = git(tmp_path, "--git-dir", str(bare), "show", "--name-only", "--format=%s", "main")
    assert pushed == "agentmd: claim t0 by alice\n\n.agents/memory/log.md\n.agents/tasks/t0.md\n"


def test_a_local_commit_is_never_pushed_with_a_claim(tmp_path, repo):
    bare = remote_with_plan(tmp_path, repo, ["t0"])
    alice = clone(tmp_path, bare, "alice")
    (alice / "wip.txt").write_text("half done\n")
    git(alice, "add", "wip.txt")
    git(alice, "commit", "-q", "-m", "WIP")
    before = git(tmp_path, "--git-dir", str(bare), "rev-parse", "main")
    result = cli(alice, "next", "--claim", "--push", "--as", "alice")
    assert result.exit_code == 2, result.output
    assert result.stderr == (
        "agentmd: error: --push publishes a claim alone, and this branch has 1 commit(s) that "
        "origin/main has not: a push would publish them with the claim\n"
        "  hint: push them first (git push), or claim without --push; "
        "'git log origin/main..HEAD' lists them\n"
    )
    assert git(tmp_path, "--git-dir", str(bare), "rev-parse", "main") == before
    assert git(alice, "log", "-1", "--format=%s") == "WIP\n"
    assert "status: todo" in (alice / ".agents/tasks/t0.md").read_text()
    assert git(alice, "status", "--porcelain") == ""


def test_an_uncommitted_edit_to_the_task_being_claimed_is_not_published(tmp_path, repo):
    bare = remote_with_plan(tmp_path, repo, ["t0"])
    alice = clone(tmp_path, bare, "alice")
    t0 = ".agents/tasks/t0.md"
    mine = (alice / t0).read_text().replace("Write src/t0.py.", "Write src/t0.py, carefully.")
    (alice / t0).write_text(mine)
    result = cli(alice, "claim", "t0", "--push", "--as", "alice")
    assert result.exit_code == 2, result.output
    assert result.stderr == (
        "agentmd: error: .agents/tasks/t0.md has uncommitted edits: a claim pushed now would "
        "publish them too\n"
        "  hint: commit or undo them, then claim again\n"
    )
    assert (alice / t0).read_text() == mine
