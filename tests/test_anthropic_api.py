"""Robustness against the fake API: retries with retry-after, give-ups, timeouts, the key, the
network guard, and the SDK imported only by the commands that call the API."""

from __future__ import annotations

import socket

import pytest

from conftest import cli, imported_modules, run_agentmd
from fake_anthropic import Reply, error, tool_use

COUNT = "/v1/messages/count_tokens"


def set_plan(repo, text: str) -> None:
    plan = repo / ".agents/plan.md"
    plan.write_text(plan.read_text().replace("---\n", f"---\n{text}", 1))


def test_a_429_is_retried_after_the_wait_retry_after_asks_for(example, fake_api):
    # One second is longer than the SDK's own first backoff (at most 0.5 s): the gap proves it.
    fake_api.counts = [error(429, retry_after="1")]
    result = cli(example, "tokens", "--tokens", "exact", "README.md")
    assert result.exit_code == 0, result.output
    first, second = fake_api.calls(COUNT)
    assert 0.95 <= second.at - first.at < 3


def test_500_and_529_overloaded_are_retried_until_an_answer_comes(example, fake_api):
    fake_api.messages = [error(500), error(529)] + [tool_use("write_tasks", {"tasks": []})] * 2
    result = cli(example, "decompose", "anything")
    assert (
        len(fake_api.calls("/v1/messages")) == 4
    )  # 2 retries, then the answer, then the second ask
    assert result.exit_code == 1
    assert "  - tasks must be a non-empty list of tasks\n" in result.stderr


def test_retries_stop_after_model_retries_and_say_how_often_they_tried(example, fake_api):
    set_plan(example, "model_retries: 1\n")
    fake_api.counts = [error(429)] * 5
    result = cli(example, "tokens", "--tokens", "exact", "README.md")
    assert result.exit_code == 2
    assert result.stderr == (
        "agentmd: error: rate limited by the Anthropic API "
        "after 2 tries (429 rate_limit_error: fake 429)\n"
        "  hint: try again later\n"
    )
    assert len(fake_api.calls(COUNT)) == 2


def test_a_server_that_does_not_answer_in_time_is_a_timeout(example, fake_api):
    set_plan(example, "model_timeout: 0.3\nmodel_retries: 0\n")
    fake_api.counts = [Reply(200, b'{"input_tokens": 1}', delay=1.5)]
    result = cli(example, "tokens", "--tokens", "exact", "README.md")
    assert result.exit_code == 2
    assert result.stderr == (
        "agentmd: error: no answer from the Anthropic API within 0.3 s (after 1 try)\n"
        "  hint: raise model_timeout in .agents/plan.md, or try again later\n"
    )
    assert not (example / ".agents/.cache/tokens.json").exists()


def test_the_key_and_the_api_version_are_sent(example, fake_api):
    assert cli(example, "tokens", "--tokens", "exact", "README.md").exit_code == 0
    headers = fake_api.calls(COUNT)[0].headers
    assert "sk-ant-test" in (
        headers.get("x-api-key", ""),
        headers.get("authorization", "").removeprefix("Bearer "),
    )
    assert headers.get("anthropic-version")


def test_an_unreachable_endpoint_is_one_clear_error(example, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    set_plan(example, "model_retries: 0\n")
    result = cli(example, "tokens", "--tokens", "exact", "README.md")  # ANTHROPIC_BASE_URL: port 9
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "agentmd: error: cannot reach the Anthropic API at http://127.0.0.1:9"
    )
    assert result.stderr.endswith(
        "  hint: check the network, and ANTHROPIC_BASE_URL if it is set\n"
    )


def test_without_the_sdk_the_command_says_how_to_install_it(example, tmp_path):
    # A module named `anthropic` that cannot be found: a finder that hides it from this process.
    hide = tmp_path / "hide"
    hide.mkdir()
    (hide / "sitecustomize.py").write_text(
        "import sys\n"
        "class Hide:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'anthropic' or name.startswith('anthropic.'):\n"
        "            raise ModuleNotFoundError(name)\n"
        "sys.meta_path.insert(0, Hide())\n"
    )
    result = run_agentmd(
        example,
        "tokens",
        "--tokens",
        "exact",
        "README.md",
        env={"ANTHROPIC_API_KEY": "sk", "PYTHONPATH": str(hide)},
    )
    assert result.returncode == 2
    assert result.stderr == (
        "agentmd: error: the anthropic package is not installed; "
        "install it with: pip install 'agentmd-cli[anthropic]'\n"
    )


def test_the_network_guard_refuses_any_address_but_loopback(network_guard):
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("192.0.2.1", 443), timeout=1)
    with pytest.raises(ConnectionRefusedError):
        socket.getaddrinfo("api.anthropic.com", 443)
    with socket.socket() as sock, pytest.raises(ConnectionRefusedError):
        sock.connect(("198.51.100.7", 80))
    # create_connection resolves the address first: the guard refuses it there
    assert network_guard.attempts == [
        ("192.0.2.1", 443),
        ("api.anthropic.com", 443),
        ("198.51.100.7", 80),
    ]
    network_guard.attempts.clear()  # seen; the guard would otherwise fail this test


def test_version_next_and_estimated_tokens_do_not_import_anthropic(example):
    for args in (("--version",), ("next",), ("next", "--json"), ("tokens", "README.md")):
        modules = imported_modules(example, *args)
        assert "agentmd.cli" in modules  # the measurement sees agentmd's own imports
        assert not {m for m in modules if m == "anthropic" or m.startswith("anthropic.")}, args
        assert "agentmd.api.client" not in modules
