"""error_output.py: the one funnel from an error to what the user sees, shared by the command
line and the commit hook; never a traceback."""

from __future__ import annotations

from agentmd import precommit
from conftest import cli


def test_the_hook_reports_an_unexpected_error_in_one_line_and_a_log(repo, monkeypatch, capsys):
    def broken(root):
        raise RuntimeError("the index moved")

    monkeypatch.chdir(repo)
    monkeypatch.setattr(precommit, "staged_problems", broken)
    assert precommit.main(["pre-commit"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(
        "agentmd pre-commit hook: internal error: RuntimeError: the index moved (details in "
    )
    assert err.count("\n") == 1 and "Traceback" not in err
    log = err.split("details in ", 1)[1].split(";", 1)[0]
    with open(log, encoding="utf-8") as handle:
        assert "Traceback" in handle.read()


def test_the_hook_outside_a_repository_says_so_in_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert precommit.main(["pre-commit"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "agentmd pre-commit hook: error: git rev-parse failed: fatal: not a git repository "
        "(or any of the parent directories): .git\n"
    )
    assert "Traceback" not in err


def test_exact_counts_outside_a_workspace_are_refused_not_a_crash(tmp_path, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test")
    (tmp_path / "a.md").write_text("---\ntitle: x\n---\nhi\n")
    result = cli(tmp_path, "check", "--tokens", "exact", "a.md")
    assert result.exit_code == 2
    assert result.stderr == (
        "agentmd: error: --tokens exact counts with the model .agents/plan.md names, and there "
        "is no .agents/ folder here or above\n"
        "  hint: run it inside a workspace ('agentmd init' creates one), or drop --tokens exact\n"
    )
    assert "internal error" not in result.stderr
