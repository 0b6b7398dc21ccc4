"""The git hooks in real repositories: refuse, fix, accept; foreign hooks chained and restored;
core.hooksPath; a linked worktree; partial commits; the pre-commit framework."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, base_of, cli, git
from conftest import TOKENIZER_HANDOFF as HANDOFF

BROKEN_TASK = "---\ntitle: Broken: it has a colon\nstatus: todo\n---\n"


def commit(repo: Path, *args: str, input: str | None = None, env: dict | None = None):
    return subprocess.run(
        ["git", "commit", "-q", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        input=input,
        env={**os.environ, **(env or {})},
    )


def install(repo: Path, *args: str) -> str:
    result = cli(repo, "hooks", "install", *args)
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture
def hooked(example):
    """The example with the pre-commit hook installed and task tokenizer claimed."""
    install(example)
    assert cli(example, "claim", "tokenizer").exit_code == 0
    git(example, "add", "-A")
    assert commit(example, "-m", "claim").returncode == 0
    return example


def finish_tokenizer(repo: Path, handoff: str) -> None:
    (repo / "src/tally").mkdir(parents=True, exist_ok=True)
    (repo / "src/tally/tokenize.py").write_text("def words(text):\n    return text.split()\n")
    (repo / ".agents/handoffs/2026-11-21-tokenizer.md").write_text(
        handoff.format(base=base_of(repo))
    )
    task = repo / ".agents/tasks/tokenizer.md"
    task.write_text(task.read_text().replace("status: active", "status: done"))
    git(repo, "add", "-A")


def test_install_writes_a_marked_hook_that_runs_this_python(example):
    assert install(example) == f"installed pre-commit hook: {example}/.git/hooks/pre-commit\n"
    hook = (example / ".git/hooks/pre-commit").read_text()
    assert hook.startswith("#!/bin/sh\n# agentmd-hook-id: agentmd/hook/v1\n")
    assert f"python={sys.executable}\n" in hook
    assert os.access(example / ".git/hooks/pre-commit", os.X_OK)
    assert install(example) == f"updated pre-commit hook: {example}/.git/hooks/pre-commit\n"


def test_an_incomplete_handoff_is_refused_with_the_located_finding_then_fixed_and_accepted(hooked):
    incomplete = HANDOFF.replace("## Next action\n\nStart `counter`.\n\n", "")
    finish_tokenizer(hooked, incomplete)
    refused = commit(hooked, "-m", "tokenizer done")
    assert refused.returncode == 1
    assert refused.stderr == (
        ".agents/handoffs/2026-11-21-tokenizer.md:6:1: error "
        "handoff-section-missing: section 'Next action' is missing\n"
        "  hint: add '## Next action': the one thing the next session does first.\n"
        ".agents/tasks/tokenizer.md:3:1: error handoff-invalid: "
        "task 'tokenizer' is staged as done but its handoff "
        ".agents/handoffs/2026-11-21-tokenizer.md has 1 error(s)\n"
        "  hint: run 'agentmd handoff check "
        ".agents/handoffs/2026-11-21-tokenizer.md', fix it, and git add it\n"
        "agentmd pre-commit hook: commit refused: 2 error(s) in the staged .agents/ files\n"
        "  hint: fix them and 'git add' them again ('git commit --no-verify' skips this check)\n"
    )
    assert git(hooked, "log", "-1", "--format=%s").strip() == "claim"
    finish_tokenizer(hooked, HANDOFF)
    accepted = commit(hooked, "-m", "tokenizer done")
    assert accepted.returncode == 0, accepted.stderr
    assert git(hooked, "log", "-1", "--format=%s").strip() == "tokenizer done"


def test_a_task_staged_as_done_without_any_handoff_is_refused(hooked):
    task = hooked / ".agents/tasks/tokenizer.md"
    task.write_text(task.read_text().replace("status: active", "status: review"))
    git(hooked, "add", "-A")
    refused = commit(hooked, "-m", "review")
    assert refused.returncode == 1
    assert refused.stderr.startswith(
        ".agents/tasks/tokenizer.md:3:1: error handoff-missing: "
        "task 'tokenizer' is staged as review but no handoff "
        "for it is staged or committed\n"
    )


def test_a_handoff_that_claims_untouched_files_is_refused(hooked):
    finish_tokenizer(
        hooked,
        HANDOFF.replace(
            "- src/tally/tokenize.py\n", "- src/tally/tokenize.py\n- src/tally/cli.py\n"
        ),
    )
    refused = commit(hooked, "-m", "done")
    assert refused.returncode == 1
    assert (
        ".agents/handoffs/2026-11-21-tokenizer.md:33:1: "
        "error handoff-artifacts-untouched: Artifacts lists "
        "'src/tally/cli.py', which the staged diff from "
        f"base {base_of(hooked)[:12]} does not touch\n"
    ) in refused.stderr


def test_the_hook_checks_the_staged_file_not_the_working_tree(hooked):
    bad = hooked / ".agents/tasks/broken.md"
    bad.write_text(BROKEN_TASK)
    git(hooked, "add", str(bad))
    bad.write_text("---\ntitle: Fixed in the working tree only\nstatus: todo\n---\n")
    refused = commit(hooked, "-m", "broken")
    assert refused.returncode == 1
    assert refused.stderr.startswith(
        ".agents/tasks/broken.md:2:14: error yaml: front matter is not "
        "valid YAML: mapping values are not allowed in this context\n"
        "  hint: the value contains ': ': quote the value: title: \"Broken: it has a colon\"\n"
    )
    git(hooked, "add", str(bad))
    bad.write_text(BROKEN_TASK)  # broken again, but only in the working tree
    assert commit(hooked, "-m", "fixed").returncode == 0


def test_a_foreign_hook_keeps_running_after_install_and_is_back_after_uninstall(example):
    foreign = example / ".git/hooks/pre-commit"
    original = '#!/bin/sh\necho foreign >> "$(git rev-parse --show-toplevel)/foreign.log"\nexit 0\n'
    foreign.write_text(original)
    foreign.chmod(0o755)
    out = install(example)
    assert (
        out.splitlines()[0]
        == f"moved the existing pre-commit hook to {foreign}.agentmd-previous; it still runs, first"
    )
    (example / ".agents/tasks/broken.md").write_text(BROKEN_TASK)
    git(example, "add", "-A")
    assert commit(example, "-m", "broken").returncode == 1
    assert (example / "foreign.log").read_text() == "foreign\n"
    (example / ".agents/tasks/broken.md").write_text("---\ntitle: Fine\nstatus: todo\n---\n")
    git(example, "add", ".agents")
    assert commit(example, "-m", "fine").returncode == 0
    assert (example / "foreign.log").read_text() == "foreign\nforeign\n"
    result = cli(example, "hooks", "uninstall")
    assert (
        result.stdout
        == "removed agentmd's pre-commit hook and restored the one that was there before\n"
    )
    assert foreign.read_text() == original
    assert os.access(foreign, os.X_OK)
    assert not (example / ".git/hooks/pre-commit.agentmd-previous").exists()


def test_a_failing_foreign_hook_still_refuses_the_commit(example):
    foreign = example / ".git/hooks/pre-commit"
    foreign.write_text("#!/bin/sh\necho 'foreign says no' >&2\nexit 3\n")
    foreign.chmod(0o755)
    install(example)
    (example / "x.txt").write_text("x\n")
    git(example, "add", "x.txt")
    result = commit(example, "-m", "x")
    assert result.returncode == 1
    assert result.stderr == "foreign says no\n"


def test_uninstall_leaves_a_hook_that_is_not_ours_alone(example):
    foreign = example / ".git/hooks/pre-commit"
    foreign.write_text("#!/bin/sh\nexit 0\n")
    result = cli(example, "hooks", "uninstall")
    assert result.stdout == f"left {foreign} alone: it is not agentmd's\n"
    assert foreign.read_text() == "#!/bin/sh\nexit 0\n"
    assert (
        cli(example, "hooks", "uninstall", "--hook", "commit-msg").stdout
        == "no agentmd hook was installed\n"
    )


def test_core_hooks_path_is_honoured_and_explained(example):
    git(example, "config", "core.hooksPath", ".githooks")
    out = install(example)
    hooks = example / ".githooks"
    assert out == (
        f"core.hooksPath is set to '.githooks': git runs the hooks in {hooks}, so they go there\n"
        f"installed pre-commit hook: {hooks}/pre-commit\n"
    )
    assert not (example / ".git/hooks/pre-commit").exists()
    (example / ".agents/tasks/broken.md").write_text(BROKEN_TASK)
    git(example, "add", ".agents")
    assert commit(example, "-m", "broken").returncode == 1
    cli(example, "hooks", "uninstall")
    assert not (hooks / "pre-commit").exists()


def test_core_hooks_path_outside_the_repository_is_explained(example, tmp_path):
    shared = tmp_path / "shared-hooks"
    git(example, "config", "core.hooksPath", str(shared))
    out = install(example)
    assert out.splitlines()[0] == (
        f"core.hooksPath is set to '{shared}': git runs the "
        f"hooks in {shared}, so they go there (outside this "
        "repository: every repository that uses that folder runs "
        "them; they do nothing where no .agents/ file is staged)"
    )
    assert (shared / "pre-commit").exists()


def test_a_commit_from_a_linked_worktree_is_checked(example, tmp_path):
    install(example)
    linked = tmp_path / "linked"
    git(example, "worktree", "add", "-q", "-b", "feature", str(linked))
    (linked / ".agents/tasks/broken.md").write_text(BROKEN_TASK)
    git(linked, "add", ".agents")
    refused = commit(linked, "-m", "broken")
    assert refused.returncode == 1
    assert refused.stderr.startswith(".agents/tasks/broken.md:2:14: error yaml:")
    (linked / ".agents/tasks/broken.md").write_text("---\ntitle: Fine\nstatus: todo\n---\n")
    git(linked, "add", ".agents")
    assert commit(linked, "-m", "fine").returncode == 0
    assert git(example, "log", "-1", "--format=%s", "feature").strip() == "fine"


def test_install_from_a_linked_worktree_goes_to_the_shared_hooks(example, tmp_path):
    linked = tmp_path / "linked"
    git(example, "worktree", "add", "-q", "-b", "feature", str(linked))
    assert install(linked) == f"installed pre-commit hook: {example}/.git/hooks/pre-commit\n"


def test_a_partial_commit_with_git_commit_p_is_checked_as_staged(hooked):
    task = hooked / ".agents/tasks/tokenizer.md"
    text = task.read_text()
    # two hunks far apart: a broken title (first) and a harmless note at the end (second)
    task.write_text(
        text.replace("title: Split text into words", "title: Split: text into words")
        + "\nMore notes.\n"
    )
    taken_second = commit(hooked, "-p", "-m", "note only", input="n\ny\n")
    assert taken_second.returncode == 0, taken_second.stderr
    assert "More notes." in git(hooked, "show", "HEAD:.agents/tasks/tokenizer.md")
    taken_first = commit(hooked, "-p", "-m", "broken title", input="y\n")
    assert taken_first.returncode == 1
    assert ".agents/tasks/tokenizer.md:2:13: error yaml:" in taken_first.stderr


def test_git_commit_with_paths_checks_the_temporary_index_git_builds(hooked):
    (hooked / ".agents/tasks/broken.md").write_text(BROKEN_TASK)
    git(hooked, "add", ".agents/tasks/broken.md")  # staged, but not part of the next commit
    (hooked / "README.md").write_text("# changed\n")
    only = commit(hooked, "-m", "readme only", "README.md")
    assert only.returncode == 0, only.stderr
    assert commit(hooked, "-m", "broken").returncode == 1


def test_the_commit_msg_hook_checks_the_same(example):
    assert (
        install(example, "--hook", "commit-msg")
        == f"installed commit-msg hook: {example}/.git/hooks/commit-msg\n"
    )
    (example / ".agents/tasks/broken.md").write_text(BROKEN_TASK)
    git(example, "add", ".agents")
    refused = commit(example, "-m", "broken")
    assert refused.returncode == 1
    assert "agentmd commit-msg hook: commit refused: 1 error(s)" in refused.stderr


def test_a_commit_without_agents_files_is_not_slowed_by_them(hooked):
    (hooked / "notes.txt").write_text("hello\n")
    git(hooked, "add", "notes.txt")
    result = commit(hooked, "-m", "notes")
    assert result.returncode == 0
    assert result.stderr == ""


@pytest.mark.slow
def test_the_pre_commit_framework_runs_the_hook_by_its_id(example):
    manifest = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    hook = next(h for h in manifest if h["id"] == "agentmd-check")
    # repo: local runs the manifest's entry with the agentmd on PATH (no network, no clone)
    local = {**hook, "language": "system"}
    config = {"repos": [{"repo": "local", "hooks": [local]}]}
    (example / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config))
    git(example, "add", ".pre-commit-config.yaml")
    git(example, "commit", "-q", "-m", "pre-commit config")
    bin_dir = str(Path(sys.executable).parent)
    env = {
        "PATH": bin_dir + os.pathsep + os.environ["PATH"],
        "PRE_COMMIT_HOME": str(example.parent / "pc-home"),
    }
    pre_commit = shutil.which("pre-commit", path=env["PATH"])
    assert pre_commit, "pre-commit is in the dev extra"
    subprocess.run(
        [pre_commit, "install"],
        cwd=example,
        check=True,
        capture_output=True,
        env={**os.environ, **env},
    )
    (example / ".agents/tasks/broken.md").write_text(BROKEN_TASK)
    git(example, "add", ".agents")
    refused = commit(example, "-m", "broken", env=env)
    assert refused.returncode == 1
    assert "agentmd (staged .agents/ files and handoffs)" in refused.stdout + refused.stderr
    assert ".agents/tasks/broken.md:2:14: error yaml:" in refused.stdout + refused.stderr
    (example / ".agents/tasks/broken.md").write_text("---\ntitle: Fine\nstatus: todo\n---\n")
    git(example, "add", ".agents")
    accepted = commit(example, "-m", "fine", env=env)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr


def test_a_task_staged_as_done_after_its_handoff_was_committed_is_accepted(hooked):
    (hooked / "src/tally").mkdir(parents=True)
    (hooked / "src/tally/tokenize.py").write_text("def words(text):\n    return text.split()\n")
    (hooked / ".agents/handoffs/2026-11-21-tokenizer.md").write_text(
        HANDOFF.format(base=base_of(hooked))
    )
    git(hooked, "add", "-A")
    assert commit(hooked, "-m", "work and handoff").returncode == 0
    (hooked / "notes.txt").write_text("later\n")
    git(hooked, "add", "notes.txt")
    assert commit(hooked, "-m", "later work").returncode == 0
    task = hooked / ".agents/tasks/tokenizer.md"
    task.write_text(task.read_text().replace("status: active", "status: done"))
    git(hooked, "add", ".agents/tasks/tokenizer.md")
    result = commit(hooked, "-m", "tokenizer done")
    assert result.returncode == 0, result.stderr


def test_install_outside_a_git_repository_says_so(tmp_path):
    result = cli(tmp_path, "hooks", "install")
    assert result.exit_code == 2
    assert result.stderr == (
        "agentmd: error: not inside a git repository\n"
        "  hint: run it in the repository whose commits it should check\n"
    )


def test_install_refuses_to_overwrite_a_foreign_hook_when_the_previous_slot_is_taken(example):
    hooks = example / ".git/hooks"
    (hooks / "pre-commit").write_text("#!/bin/sh\nexit 0\n")
    (hooks / "pre-commit.agentmd-previous").write_text("#!/bin/sh\nexit 1\n")
    result = cli(example, "hooks", "install")
    assert result.exit_code == 2
    assert "is not agentmd's, and pre-commit.agentmd-previous is taken already" in result.stderr
    assert (hooks / "pre-commit").read_text() == "#!/bin/sh\nexit 0\n"
