"""Exact token counts through the fake API: counted, cached, compared with the estimate."""

from __future__ import annotations

import json

from conftest import cli, git
from fake_anthropic import error

COUNT = "/v1/messages/count_tokens"


def test_tokens_without_exact_prints_the_estimate_of_each_file_and_the_total(tmp_path):
    (tmp_path / "a.md").write_text("x" * 30)
    (tmp_path / "b.md").write_text("y" * 3000)
    result = cli(tmp_path, "tokens", "a.md", "b.md")
    assert result.exit_code == 0, result.output
    assert result.stdout == "       10  a.md\n    1,000  b.md\n    1,010  total\n"


def test_tokens_exact_shows_the_estimate_beside_each_count(example, fake_api):
    (example / "notes.md").write_text("one two three four five six seven eight nine ten " * 3)
    result = cli(example, "tokens", "--tokens", "exact", "notes.md", "README.md")
    assert result.exit_code == 0, result.output
    # the fake counts words + 7: 30 + 7 = 37 and 2 + 7 = 9; the estimate charges 147/3 and 7/3
    assert result.stdout == (
        "    exact   estimate      off  file\n"
        "       37         49   +32.4%  notes.md\n"
        "        9          3   -66.7%  README.md\n"
        "       46         52   +13.0%  total\n"
    )
    sent = fake_api.calls(COUNT)[0]
    assert sent.body["model"] == "claude-sonnet-5-5"
    assert sent.body["messages"] == [
        {"role": "user", "content": "one two three four five six seven eight nine ten " * 3}
    ]


def test_exact_counts_are_cached_so_a_second_run_makes_no_request(example, fake_api):
    first = cli(example, "tokens", "--tokens", "exact", "--json", ".agents/plan.md")
    assert first.exit_code == 0, first.output
    assert len(fake_api.calls(COUNT)) == 1
    second = cli(example, "tokens", "--tokens", "exact", "--json", ".agents/plan.md")
    assert second.exit_code == 0, second.output
    assert len(fake_api.calls(COUNT)) == 1
    assert json.loads(second.stdout) == json.loads(first.stdout)
    assert (example / ".agents/.cache/tokens.json").is_file()
    assert git(example, "status", "--porcelain") == ""  # the cache is ignored by git


def test_the_cache_is_per_model(example, fake_api):
    assert cli(example, "tokens", "--tokens", "exact", "README.md").exit_code == 0
    plan = example / ".agents/plan.md"
    plan.write_text(plan.read_text().replace("---\n", "---\nmodel: claude-haiku-4-5\n", 1))
    assert cli(example, "tokens", "--tokens", "exact", "README.md").exit_code == 0
    assert [r.body["model"] for r in fake_api.calls(COUNT)] == [
        "claude-sonnet-5-5",
        "claude-haiku-4-5",
    ]


def test_next_with_exact_tokens_reports_how_far_the_estimate_was(example, fake_api):
    result = cli(example, "next", "--tokens", "exact", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["counter"] == "exact"
    estimate = data["estimate"]
    assert estimate["exact"] == data["tokens"] == len(data["prompt"].split()) + 7
    assert estimate["off"] == estimate["estimate"] - estimate["exact"]
    requests = len(fake_api.calls(COUNT))
    again = cli(example, "next", "--tokens", "exact")
    assert again.exit_code == 0, again.output
    assert again.stdout == data["prompt"]
    assert again.stderr.startswith(
        f"agentmd: {estimate['exact']:,} tokens, exact (estimate {estimate['estimate']:,}: "
    )
    assert len(fake_api.calls(COUNT)) == requests  # everything came from the cache


def test_exact_without_a_key_says_so_in_one_line_and_exits_2(example):
    result = cli(example, "tokens", "--tokens", "exact", "README.md")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        "agentmd: error: ANTHROPIC_API_KEY is not set: this "
        "command asks the Anthropic API and needs a key\n"
    )
    assert cli(example, "next", "--tokens", "exact").stderr == result.stderr


def test_a_failed_count_writes_no_cache_entry_and_exits_2(example, fake_api):
    fake_api.counts = [error(401)]
    result = cli(example, "tokens", "--tokens", "exact", "README.md")
    assert result.exit_code == 2
    assert result.stderr == (
        "agentmd: error: the Anthropic API refused the key (401 authentication_error: fake 401)\n"
        "  hint: check ANTHROPIC_API_KEY\n"
    )
    assert not (example / ".agents/.cache/tokens.json").exists()


def test_a_bad_model_setting_is_a_located_error(example, fake_api):
    plan = example / ".agents/plan.md"
    plan.write_text(plan.read_text().replace("---\n", "---\nmodel: [a, b]\n", 1))
    result = cli(example, "tokens", "--tokens", "exact", "README.md")
    assert result.exit_code == 2
    assert result.stderr.startswith(
        ".agents/plan.md:2:1: error bad-value: model must be a model id"
    )
    assert fake_api.requests == []


def test_a_missing_file_is_reported_and_the_rest_still_counted(tmp_path):
    (tmp_path / "a.md").write_text("abc")
    result = cli(tmp_path, "tokens", "a.md", "nope.md")
    assert result.exit_code == 2
    assert result.stdout == "        1  a.md\n"
    assert result.stderr == "nope.md:1:1: error missing: no such file or folder\n"


def test_a_folder_counts_every_file_below_it_in_name_order(tmp_path):
    (tmp_path / "docs/sub").mkdir(parents=True)
    (tmp_path / "docs/b.md").write_text("b" * 9)
    (tmp_path / "docs/sub/a.md").write_text("a" * 6)
    (tmp_path / "docs/.hidden").write_text("h" * 99)
    result = cli(tmp_path, "tokens", "docs")
    assert result.exit_code == 0, result.output
    assert result.stdout == "        3  docs/b.md\n        2  docs/sub/a.md\n        5  total\n"
