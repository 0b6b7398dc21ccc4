"""agentmd's hook beside the pre-commit framework (never moved aside, recognised under the name
`pre-commit install` gives it), and a hook whose interpreter is gone."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from agentmd import hooks
from conftest import cli, git
from test_hooks import BROKEN_TASK, commit, install


def framework_env(repo: Path) -> dict[str, str]:
    return {
        "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"],
        "PRE_COMMIT_HOME": str(repo.parent / "pc-home"),
    }


def pre_commit_install(repo: Path, config: str = "repos: []\n") -> None:
    (repo / ".pre-commit-config.yaml").write_text(config)
    git(repo, "add", ".pre-commit-config.yaml")
    git(repo, "commit", "-q", "-m", "pre-commit config")
    env = framework_env(repo)
    tool = shutil.which("pre-commit", path=env["PATH"])
    assert tool, "pre-commit is in the dev extra"
    subprocess.run([tool, "install"], cwd=repo, check=True, capture_output=True, env=env)


def test_agentmd_hook_renamed_by_pre_commit_install_still_checks_and_uninstalls(example):
    install(example)
    pre_commit_install(example)
    hook_dir = example / ".git/hooks"
    assert hooks.is_framework(hook_dir / "pre-commit")
    assert hooks.is_ours(hook_dir / "pre-commit.legacy")
    (example / ".agents/tasks/broken.md").write_text(BROKEN_TASK)
    git(example, "add", ".agents")
    refused = commit(example, "-m", "broken", env=framework_env(example))
    assert refused.returncode == 1
    assert ".agents/tasks/broken.md:2:14: error yaml:" in refused.stdout + refused.stderr
    assert install(example) == (
        f"updated pre-commit hook: {hook_dir}/pre-commit.legacy (the pre-commit framework runs "
        "it from there, where 'pre-commit install' moved it)\n"
    )
    result = cli(example, "hooks", "uninstall", "--hook", "pre-commit")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"removed agentmd's pre-commit hook: {hook_dir}/pre-commit.legacy (where 'pre-commit "
        "install' moved it); the pre-commit framework's hook stays\n"
    )
    assert not (hook_dir / "pre-commit.legacy").exists()
    assert hooks.is_framework(hook_dir / "pre-commit")
    accepted = commit(example, "-m", "broken, unchecked now", env=framework_env(example))
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr


def test_install_over_the_framework_hook_says_what_to_do_and_changes_nothing(example):
    pre_commit_install(example)
    hook = example / ".git/hooks/pre-commit"
    before = hook.read_bytes()
    result = cli(example, "hooks", "install")
    assert result.exit_code == 2
    assert result.stderr == (
        f"agentmd: error: {hook} is the pre-commit framework's hook: agentmd will not move it "
        f"aside\n  hint: {hooks.FRAMEWORK_SNIPPET}\n"
    )
    assert hook.read_bytes() == before
    assert [p.name for p in hook.parent.glob("pre-commit.*") if p.suffix != ".sample"] == []


def test_install_where_the_framework_already_runs_agentmd_installs_nothing(example):
    config = "repos:\n- repo: local\n  hooks:\n  - id: agentmd-check\n    name: agentmd\n"
    config += "    entry: agentmd hooks run pre-commit\n    language: system\n"
    pre_commit_install(example, config)
    hook = example / ".git/hooks/pre-commit"
    before = hook.read_bytes()
    assert install(example) == (
        f"left {hook} alone: the pre-commit framework manages it and already runs "
        "agentmd-check (.pre-commit-config.yaml); nothing to install\n"
    )
    assert hook.read_bytes() == before
    assert [p.name for p in hook.parent.glob("pre-commit.*") if p.suffix != ".sample"] == []


def test_a_hook_whose_venv_is_gone_lets_other_commits_through_and_says_how_to_reinstall(
    example, tmp_path
):
    venv = tmp_path / "gone-venv"
    hooks.install(example, ("pre-commit",), python=str(venv / "bin" / "python"))
    (example / "README.md").write_text("# changed\n")
    git(example, "add", "README.md")
    readme = commit(example, "-m", "readme only")
    assert readme.returncode == 0, readme.stderr
    assert git(example, "log", "-1", "--format=%s") == "readme only\n"
    (example / ".agents/tasks/broken.md").write_text(BROKEN_TASK)
    git(example, "add", ".agents")
    refused = commit(example, "-m", "agents file")
    assert refused.returncode == 1
    assert refused.stderr == (
        f"agentmd hook: {venv}/bin/python cannot run agentmd any more (was its virtualenv "
        "removed or moved?),\n"
        "so the staged .agents/ files cannot be checked and the commit is refused.\n"
        "  hint: install agentmd again and run 'agentmd hooks install' (or 'agentmd hooks "
        "uninstall');\n"
        "  'git commit --no-verify' skips the check once\n"
    )
    assert git(example, "log", "-1", "--format=%s") == "readme only\n"
