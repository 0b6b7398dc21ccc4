"""The whole path on a real-shaped project: a src-layout package installed editable into a venv
(the set-up of pallets/itsdangerous and most Python projects), with CHANGES.rst, a Makefile,
dot files and a CI workflow; add, claim, work, commit, verify, handoff new, handoff check,
done, and the loop with a worker that does the same, and each way that path used to lie as a
case of its own.

The venv is made once per session. The package's build backend is in its own tree (PEP 517
`backend-path`), so pip installs it editable with no index and no network."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import cli, git

BACKEND = '''\
"""A PEP 517 backend in the tree: an editable install is a .pth file naming src/."""
import base64, hashlib, os, zipfile

NAME, VERSION = "shapes", "0.1.0"
DIST = f"{NAME}-{VERSION}"


def _wheel(folder, files):
    path = os.path.join(folder, f"{DIST}-py3-none-any.whl")
    records = []
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data.encode()).digest())
            records.append(f"{name},sha256={digest.rstrip(b'=').decode()},{len(data)}")
        record = f"{DIST}.dist-info/RECORD"
        zf.writestr(record, "\\n".join(records + [f"{record},,"]) + "\\n")
    return os.path.basename(path)


def _meta():
    return {
        f"{DIST}.dist-info/METADATA":
            f"Metadata-Version: 2.1\\nName: {NAME}\\nVersion: {VERSION}\\n",
        f"{DIST}.dist-info/WHEEL":
            "Wheel-Version: 1.0\\nGenerator: tests\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
    }


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    src = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")
    return _wheel(wheel_directory, {**_meta(), f"_{NAME}_editable.pth": src + "\\n"})


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    raise NotImplementedError("this test package is installed editable only")
'''

FILES = {
    "pyproject.toml": (
        '[build-system]\nrequires = []\nbuild-backend = "editable"\nbackend-path = ["_build"]\n\n'
        '[project]\nname = "shapes"\nversion = "0.1.0"\n'
    ),
    "_build/editable.py": BACKEND,
    "src/shapes/__init__.py": '"""Shapes."""\n\nfrom shapes.encoding import encode\n',
    "src/shapes/encoding.py": "def encode(text: str) -> bytes:\n    return text.encode()\n",
    "tests/test_encoding.py": (
        "import unittest\n\nimport shapes\n\n\nclass T(unittest.TestCase):\n"
        "    def test_encode(self):\n        self.assertEqual(shapes.encode('a'), b'a')\n"
    ),
    "CHANGES.rst": "Version 0.1.0\n-------------\n\nUnreleased\n",
    "Makefile": "test:\n\tpython -m unittest discover -s tests\n",
    ".gitignore": ".venv/\n__pycache__/\n*.egg-info/\n",
    ".github/workflows/ci.yml": "name: ci\non: [push]\n",
    "README.md": "# shapes\n",
}

VERIFY = "python -m unittest discover -s tests -q"


@pytest.fixture(scope="session")
def venv(tmp_path_factory) -> Path:
    """A venv, made once per session; each test installs its own checkout into it."""
    path = tmp_path_factory.mktemp("shapes-venv") / ".venv"
    made = subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(path)], capture_output=True, text=True
    )
    if made.returncode != 0:
        pytest.skip(f"cannot make a venv here: {made.stderr.strip()}")
    return path


def install(project: Path, venv: Path) -> None:
    """`pip install -e .` into the venv, offline (the build backend is in the tree)."""
    result = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(venv / "bin/python"), "install",
         "--no-index", "--no-build-isolation", "--no-deps", "-q", "-e", str(project)],
        capture_output=True, text=True, env={**os.environ, "PIP_NO_INPUT": "1"},
    )  # fmt: skip
    if result.returncode != 0:
        pytest.skip(f"pip cannot install editable here: {result.stderr.strip()[-300:]}")


@pytest.fixture
def project(venv, tmp_path, monkeypatch) -> Path:
    """A git repository of the project installed editable into the venv, whose bin/ is first
    on PATH as an activated venv's is; agentmd initialised and committed."""
    root = tmp_path / "shapes"
    for rel, text in FILES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    install(root, venv)
    monkeypatch.setenv("PATH", f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("AGENTMD_NOW", "2026-11-21T08:00:00Z")
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.name", "Test Author")
    git(root, "config", "user.email", "author@example.com")
    git(root, "config", "commit.gpgsign", "false")
    assert cli(root, "init").exit_code == 0
    plan = root / ".agents/plan.md"
    plan.write_text(
        plan.read_text()
        .replace("What this project is for, in two or three sentences an agent can act on.",
                 "shapes encodes text: a small library with a stable API.")
        .replace("- What must not change, which tools and versions to use, what is out of scope.",
                 "- Python 3.11, standard library only.")
    )  # fmt: skip
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "shapes 0.1.0")
    return root


def test_the_venv_imports_the_checkout_it_was_installed_from(project, venv):
    where = subprocess.run(
        ["python", "-c", "import shapes; print(shapes.__file__)"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert where.stdout == f"{project / 'src/shapes/__init__.py'}\n"
    assert Path(os.popen("command -v python").read().strip()).parent == venv / "bin"


def add_task(project: Path, *outputs: str) -> None:
    args = ["add", "Encode with an explicit charset", "--id", "encoding",
            "--goal", "encode() takes a charset argument, utf-8 by default.",
            "--criteria", "encode('é', 'latin-1') == b'\\xe9'", "--verify", VERIFY]  # fmt: skip
    for output in outputs:
        args += ["--output", output]
    result = cli(project, *args)
    assert result.exit_code == 0, result.output
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "task: encoding")


def do_the_work(project: Path) -> None:
    (project / "src/shapes/encoding.py").write_text(
        "def encode(text: str, charset: str = 'utf-8') -> bytes:\n    return text.encode(charset)\n"
    )
    changes = project / "CHANGES.rst"
    changes.write_text(changes.read_text() + "\n-   ``encode`` takes a charset.\n")
    (project / "Makefile").write_text("test:\n\tpython -m unittest discover -s tests -q\n")
    (project / ".gitignore").write_text(".venv/\n__pycache__/\n*.egg-info/\n.cache/\n")
    (project / ".github/workflows/ci.yml").write_text("name: ci\non: [push, pull_request]\n")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "encode takes a charset")


OUTPUTS = ("src/shapes/encoding.py", "CHANGES.rst", "Makefile", ".gitignore",
           ".github/workflows/*.yml")  # fmt: skip


def fill(handoff: Path, status: str = "done", remaining: str = "None") -> None:
    text = handoff.read_text()
    text = text.replace("status: partial", f"status: {status}")
    prompts = {
        "Two or three sentences: what this session did and where it stopped.":
            "`encode()` in `src/shapes/encoding.py` takes a charset.",
        "Each item concrete: the file, function or command, and what it does now.":
            "- `src/shapes/encoding.py`: `encode(text, charset='utf-8')`",
        'Each item actionable, or "None" when the task is done.': remaining,
        "Each decision with its rationale.":
            "- utf-8 stays the default: every caller relies on it today.",
        'Traps the next session should know about, or "None".': "None",
        'Each a lesson for future sessions (a trap, a convention, a decision), or "None".': "None",
        "The one thing the next session does first.": "Release 0.2.0 from `CHANGES.rst`.",
    }  # fmt: skip
    for prompt, answer in prompts.items():
        text = text.replace(prompt, answer)
    handoff.write_text(text)


def the_handoff(project: Path) -> Path:
    (path,) = (project / ".agents/handoffs").glob("*-encoding.md")
    return path


def test_the_whole_path_add_claim_work_verify_handoff_done(project):
    add_task(project, *OUTPUTS)
    assert cli(project, "claim", "encoding").exit_code == 0
    git(project, "commit", "-qam", "claim encoding")
    do_the_work(project)
    verified = cli(project, "verify", "encoding")
    assert verified.exit_code == 0, verified.output
    assert verified.stdout.startswith(f"ok   exit 0  {VERIFY}\n")
    created = cli(project, "handoff", "new", "encoding")
    assert created.exit_code == 0, created.output
    assert "  5 artifact(s) from git" in created.stdout
    handoff = the_handoff(project)
    assert (
        "## Artifacts\n\n- .github/workflows/ci.yml\n- .gitignore\n- CHANGES.rst\n- Makefile\n"
        "- src/shapes/encoding.py\n"
    ) in handoff.read_text()
    fill(handoff)
    checked = cli(project, "handoff", "check")
    assert checked.exit_code == 0, checked.output
    assert checked.output == "ok: 1 file(s) checked\n"
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "handoff: encoding")  # after verify: .agents/ only
    done = cli(project, "done", "encoding")
    assert done.exit_code == 0, done.output
    assert done.stdout == "done encoding\n"
    assert cli(project, "check").exit_code == 0


def test_done_refuses_a_partial_handoff_on_the_real_project(project):
    add_task(project, *OUTPUTS)
    assert cli(project, "claim", "encoding").exit_code == 0
    git(project, "commit", "-qam", "claim encoding")
    do_the_work(project)
    assert cli(project, "verify", "encoding").exit_code == 0
    assert cli(project, "handoff", "new", "encoding").exit_code == 0
    fill(the_handoff(project), status="partial", remaining="- Document `charset` in README.md.")
    done = cli(project, "done", "encoding")
    assert done.exit_code == 1
    assert "error handoff-not-done: the latest handoff says 'status: partial'" in done.stderr
    assert "error handoff-remaining:" in done.stderr


def test_done_refuses_empty_work_on_a_task_with_outputs(project):
    add_task(project, *OUTPUTS)
    assert cli(project, "claim", "encoding").exit_code == 0
    git(project, "commit", "-qam", "claim encoding")
    assert cli(project, "verify", "encoding").exit_code == 0
    assert cli(project, "handoff", "new", "encoding").exit_code == 0
    handoff = the_handoff(project)
    fill(handoff)
    handoff.write_text(
        handoff.read_text()
        .replace("- `src/shapes/encoding.py`: `encode(text, charset='utf-8')`", "- ran `make test`")
        .replace("`encode()` in `src/shapes/encoding.py` takes a charset.", "Ran `make test`.")
    )
    done = cli(project, "done", "encoding")
    assert done.exit_code == 1
    assert "error done-nothing-changed:" in done.stderr


def test_a_task_never_claimed_gets_no_guessed_base(project):
    add_task(project, *OUTPUTS)
    start = git(project, "rev-parse", "HEAD").strip()
    do_the_work(project)
    assert cli(project, "verify", "encoding").exit_code == 0
    refused = cli(project, "handoff", "new", "encoding")
    assert refused.exit_code == 2
    assert "task 'encoding' has no base: it was never claimed" in refused.stderr
    given = cli(project, "handoff", "new", "encoding", "--base", start)
    assert given.exit_code == 0, given.output
    assert "  5 artifact(s) from git" in given.stdout


def test_verify_over_uncommitted_work_is_no_pass_for_done(project):
    add_task(project, *OUTPUTS)
    assert cli(project, "claim", "encoding").exit_code == 0
    git(project, "commit", "-qam", "claim encoding")
    do_the_work(project)
    (project / "src/shapes/encoding.py").write_text("raise RuntimeError('half done')\n")
    verified = cli(project, "verify", "encoding")
    assert verified.exit_code == 1  # the editable install imports the working tree
    git(project, "checkout", "--", "src/shapes/encoding.py")
    (project / "src/shapes/extra.py").write_text("X = 1\n")  # untracked: not committed work
    assert cli(project, "verify", "encoding").exit_code == 0
    assert cli(project, "handoff", "new", "encoding").exit_code == 0
    fill(the_handoff(project))
    done = cli(project, "done", "encoding")
    assert done.exit_code == 1
    assert "its verify commands ran over uncommitted changes (outside .agents/)" in done.stderr


def test_a_task_whose_outputs_leave_the_repository_is_not_handed_out(project):
    add_task(project, *OUTPUTS)
    (project / ".agents/tasks/outside.md").write_text(
        "---\ntitle: Outside\nstatus: todo\npriority: high\noutputs: [../../outside.txt]\n---\n"
        "## Goal\n\nWrite outside.\n"
    )
    prompt = cli(project, "next")
    assert prompt.exit_code == 0
    assert prompt.stdout.startswith("# Encode with an explicit charset\n")
    claimed = cli(project, "claim", "outside")
    assert claimed.exit_code == 1
    assert "is not ready: check: path-escapes:" in claimed.stderr


WORKER = Path(__file__).parent / "workers" / "shapes_worker.py"


def loop(project: Path, venv: Path, mode: str):
    """`agentmd run` as a person starts it in the activated venv, with a worker that does what
    an agent does in this project."""
    from conftest import run_agentmd

    env = {
        "PATH": os.pathsep.join([str(venv / "bin"), str(Path(sys.executable).parent),
                                 os.environ["PATH"]]),
        "VIRTUAL_ENV": str(venv),
    }  # fmt: skip
    worker = f"{sys.executable} {WORKER} {mode}"
    return run_agentmd(project, "run", "--worker", worker, "--until-done", env=env, timeout=180)


def the_suite_on_main(project: Path) -> subprocess.CompletedProcess:
    return subprocess.run(VERIFY.split(), cwd=project, capture_output=True, text=True)


def test_the_loop_merges_the_work_of_a_worker_on_the_real_project(project, venv):
    add_task(project, *OUTPUTS)
    result = loop(project, venv, "work")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "done encoding: verify passed, handoff valid, merged" in result.stdout
    assert "status: done" in (project / ".agents/tasks/encoding.md").read_text()
    assert "charset: str = 'utf-8'" in (project / "src/shapes/encoding.py").read_text()
    assert "``encode`` takes a charset." in (project / "CHANGES.rst").read_text()
    assert the_suite_on_main(project).returncode == 0
    assert cli(project, "check").exit_code == 0


def test_the_loop_does_not_merge_work_that_breaks_the_import_on_the_real_project(project, venv):
    plan = project / ".agents/plan.md"
    plan.write_text(plan.read_text().replace("max_attempts: 3", "max_attempts: 1"))
    git(project, "commit", "-qam", "one attempt")
    add_task(project, *OUTPUTS)
    result = loop(project, venv, "break")
    assert result.returncode != 0
    assert "failed encoding: attempt 1 of 1:" in result.stdout
    assert "RuntimeError" in (project / ".agents/tasks/encoding.md").read_text()
    assert "raise RuntimeError" not in (project / "src/shapes/encoding.py").read_text()
    assert the_suite_on_main(project).returncode == 0  # main as it was
