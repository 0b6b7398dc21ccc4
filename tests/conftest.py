"""Shared fixtures: real tmp git repos with a pinned identity, the CLI in-process and as a
subprocess, and the corpus of real agent files when it is there."""

from __future__ import annotations

import ipaddress
import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from agentmd.cli import main

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test Author",
    "GIT_AUTHOR_EMAIL": "author@example.com",
    "GIT_COMMITTER_NAME": "Test Author",
    "GIT_COMMITTER_EMAIL": "author@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_DATE": "2026-11-20T10:00:00Z",
    "GIT_COMMITTER_DATE": "2026-11-20T10:00:00Z",
}


ANTHROPIC_ENV = (
    "ANTHROPIC_AUTH_TOKEN",
    "ANTHROPIC_PROFILE",
    "ANTHROPIC_CONFIG_DIR",
    "ANTHROPIC_CUSTOM_HEADERS",
)
PROXY_ENV = tuple(
    name
    for base in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")
    for name in (base, base.lower())
)


@pytest.fixture(autouse=True)
def isolated_env(tmp_path_factory, monkeypatch):
    """No test touches $HOME, the user's git config or the machine's temporary folder (a
    crash report goes there); none inherits a cap on forked processes."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("TMPDIR", str(tmp_path_factory.mktemp("tmp")))
    monkeypatch.setattr(tempfile, "tempdir", None)  # found again, from TMPDIR
    monkeypatch.delenv("AGENTMD_JOBS", raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AGENTMD_AGENT", "tester")
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    for key in ANTHROPIC_ENV + PROXY_ENV:
        monkeypatch.delenv(key, raising=False)
    # Even a subprocess that finds a key can reach nothing: this port has no listener.
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:9")
    for key in list(os.environ):
        if key.startswith("GIT_") and key not in GIT_ENV:
            monkeypatch.delenv(key, raising=False)


class NetworkGuard:
    """Every socket connection to an address other than loopback fails, and fails the test."""

    def __init__(self):
        self.attempts: list[object] = []

    def allowed(self, address: object) -> bool:
        if not isinstance(address, tuple):
            return True  # AF_UNIX and friends: not the network
        host = str(address[0]).split("%")[0]
        if host == "localhost":
            return True
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False

    def check(self, address: object) -> None:
        if not self.allowed(address):
            self.attempts.append(address)
            raise ConnectionRefusedError(f"tests may not reach the network: {address}")


@pytest.fixture(autouse=True)
def network_guard(monkeypatch):
    guard = NetworkGuard()
    connect, connect_ex, getaddrinfo = (
        socket.socket.connect,
        socket.socket.connect_ex,
        socket.getaddrinfo,
    )

    def guarded_connect(sock, address):
        guard.check(address)
        return connect(sock, address)

    def guarded_connect_ex(sock, address):
        guard.check(address)
        return connect_ex(sock, address)

    def guarded_getaddrinfo(host, *args, **kwargs):
        # A name lookup is traffic too: only names that cannot leave the machine resolve.
        if host not in (None, "localhost", b"localhost"):
            guard.check(
                (host.decode() if isinstance(host, bytes) else host, args[0] if args else 0)
            )
        return getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", guarded_connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)
    yield guard
    if guard.attempts:
        pytest.fail(f"the test tried to reach the network: {guard.attempts}")


@pytest.fixture
def fake_api(monkeypatch):
    """The local fake Anthropic API, reached through ANTHROPIC_BASE_URL, with a key set."""
    from fake_anthropic import FakeAnthropic

    fake = FakeAnthropic().start()
    monkeypatch.setenv("ANTHROPIC_BASE_URL", fake.url)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    yield fake
    fake.stop()


def git(repo: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True)
    return result.stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """An empty git repository with one commit."""
    path = tmp_path / "repo"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.name", "Test Author")
    git(path, "config", "user.email", "author@example.com")
    git(path, "config", "commit.gpgsign", "false")
    (path / "README.md").write_text("# repo\n")
    git(path, "add", "README.md")
    git(path, "commit", "-q", "-m", "initial")
    return path


@pytest.fixture
def example(repo: Path) -> Path:
    """A repository holding the built-in example plan, committed."""
    result = cli(repo, "init", "--example")
    assert result.exit_code == 0, result.output
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "example plan")
    return repo


class Result:
    def __init__(self, exit_code: int, stdout: str, stderr: str):
        self.exit_code = exit_code
        self.stdout = stdout
        self.stderr = stderr
        self.output = stdout + stderr


def cli(cwd: Path, *args: str, input: str | None = None, env: dict | None = None) -> Result:
    """Run the CLI in-process, through the same error funnel as the console script."""
    from agentmd.cli.errors import invoke

    runner = CliRunner()
    old = Path.cwd()
    os.chdir(cwd)
    try:
        with runner.isolation(input=input, env=env) as (out, err, *_):
            code = invoke_with_args(invoke, list(args))
            stdout = out.getvalue().decode()
            stderr = err.getvalue().decode()
    finally:
        os.chdir(old)
    return Result(code, stdout, stderr)


def invoke_with_args(invoke, args: list[str]) -> int:
    saved = sys.argv
    sys.argv = ["agentmd", *args]
    try:
        return invoke(main)
    finally:
        sys.argv = saved


def imported_modules(cwd: Path, *args: str) -> set[str]:
    """The modules `agentmd ARGS` imports, as `python -X importtime` lists them."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "agentmd", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return {
        line.rsplit("|", 1)[-1].strip()
        for line in result.stderr.splitlines()
        if line.startswith("import time:")
    }


def run_agentmd(
    cwd: Path, *args: str, input: str | None = None, env: dict | None = None, timeout: float = 60
):
    """Run the real console script in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "agentmd", *args],
        cwd=cwd,
        input=input,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=timeout,
    )


# A complete, true handoff for the example's tokenizer task, once its work is committed
# (format it with the task's base).
TOKENIZER_HANDOFF = """\
---
task: tokenizer
status: done
base: {base}
---
## Summary

Wrote `words()` in `src/tally/tokenize.py`.

## Completed

- `src/tally/tokenize.py`: `words(text)` splits on whitespace

## Remaining

None

## Decisions

- `str.split()` for now: nothing asks for more yet.

## Gotchas

None

## Next action

Start `counter`.

## Artifacts

- src/tally/tokenize.py

## Verification

- `test -f src/tally/tokenize.py`: exit 0
"""


def base_of(repo: Path) -> str:
    """The base the example's tokenizer task was claimed at."""
    text = (repo / ".agents/tasks/tokenizer.md").read_text()
    return next(line.split(": ", 1)[1] for line in text.splitlines() if line.startswith("base: "))
