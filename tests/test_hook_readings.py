"""The commit hook reads a staged handoff's Markdown structure only when no earlier run kept its
reading (by the staged blob's id): findings are the same either way, and a hit imports no
Markdown parser."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import TOKENIZER_HANDOFF, base_of, cli, git

HANDOFF = ".agents/handoffs/2026-11-21-tokenizer.md"
# The hook as git runs it, saying afterwards whether it imported markdown-it.
PROBE = (
    "import sys\n"
    "from agentmd import precommit\n"
    "code = precommit.main(['pre-commit'])\n"
    "print('parser imported' if 'markdown_it' in sys.modules else 'no parser', code)\n"
)


def hook(repo: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", PROBE], cwd=repo, capture_output=True, text=True, timeout=60
    )


def stage_done_tokenizer(repo: Path, handoff: str) -> None:
    assert cli(repo, "claim", "tokenizer").exit_code == 0
    (repo / "src/tally").mkdir(parents=True, exist_ok=True)
    (repo / "src/tally/tokenize.py").write_text("def words(text):\n    return text.split()\n")
    (repo / HANDOFF).write_text(handoff.format(base=base_of(repo)))
    task = repo / ".agents/tasks/tokenizer.md"
    task.write_text(task.read_text().replace("status: active", "status: done"))
    git(repo, "add", "-A")


def test_a_handoff_checked_before_the_commit_needs_no_parser_in_the_hook(example):
    stage_done_tokenizer(example, TOKENIZER_HANDOFF)
    checked = cli(example, "handoff", "check", HANDOFF)
    assert checked.exit_code == 0, checked.output
    result = hook(example)
    assert result.stdout == "no parser 0\n", result.stderr
    assert result.stderr == ""


def test_a_handoff_never_read_is_parsed_once_and_its_reading_kept_for_the_next_try(example):
    vague = TOKENIZER_HANDOFF.replace("splits on whitespace", "splits on whitespace etc.")
    stage_done_tokenizer(example, vague)
    shutil.rmtree(example / ".agents/.cache/handoff-readings", ignore_errors=True)
    first = hook(example)
    assert first.stdout == "parser imported 1\n"
    assert f"{HANDOFF}:12:63: error handoff-vague: vague: 'etc.'\n" in first.stderr
    again = hook(example)
    assert again.stdout == "no parser 1\n"
    assert again.stderr == first.stderr  # the same findings, from the kept reading
    blob = git(example, "rev-parse", f":{HANDOFF}").strip()
    shards = sorted((example / ".agents/.cache/handoff-readings").iterdir())
    assert [shard.name for shard in shards] == [f"{blob[0]}.json"]  # one shard, by the blob id
    kept = json.loads(shards[0].read_text())
    assert [key.split()[1] for key in kept["entries"]] == [blob]


def test_the_hook_creates_no_cache_folder_of_its_own(example):
    stage_done_tokenizer(example, TOKENIZER_HANDOFF)
    cache = example / ".agents/.cache"
    subprocess.run(["rm", "-rf", str(cache)], check=True)
    result = hook(example)
    assert result.stdout == "parser imported 0\n", result.stderr
    assert not cache.exists()
    assert (example / HANDOFF).is_file()


def test_the_hook_holds_a_file_the_next_action_names_to_the_staged_tasks_outputs(example):
    planned = TOKENIZER_HANDOFF.replace("`counter`.", "`counter`: `src/tally/count.py`.")
    stage_done_tokenizer(example, planned)  # counter's output: a file still to be made
    accepted = hook(example)
    assert accepted.stdout.endswith(" 0\n"), accepted.stderr
    wrong = planned.replace("src/tally/count.py", "src/tally/cuont.py")
    (example / HANDOFF).write_text(wrong.format(base=base_of(example)))
    git(example, "add", HANDOFF)
    refused = hook(example)
    assert refused.stdout.endswith(" 1\n")
    assert (
        "error handoff-path-missing: 'src/tally/cuont.py' does not exist, and no task lists it "
        "among its outputs\n"
    ) in refused.stderr
