"""A scripted stand-in for a coding agent that finishes the example plan (`agentmd init --example`).

`agentmd run --worker "python examples/demo_worker.py" --slots 2` runs it once per task, in
the task's worktree, with the prompt on stdin and AGENTMD_TASK, AGENTMD_BASE and
AGENTMD_HANDOFF in its environment. It writes the task's files (only its outputs), runs the
task's verify commands, writes a complete handoff, and commits on the task's branch: what a
real agent CLI (`claude -p`, `codex exec`, ...) would do, minus the thinking.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

# The tests put src/ on the path themselves: the example's package-skeleton task is marked
# done, but its files are not part of the example, and a task may touch only its outputs.
SRC = (
    "import sys\nfrom pathlib import Path\n\n"
    'sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))\n\n'
)

FILES = {
    "tokenizer": {
        "src/tally/tokenize.py": '''"""What a word is, for tally."""

import re

WORD_RE = re.compile(r"[^\\W_]+(?:'[^\\W_]+)*")


def words(text: str) -> list[str]:
    """Runs of letters and digits, with inner apostrophes, case-folded."""
    return [match.group(0).casefold() for match in WORD_RE.finditer(text)]
''',
        "tests/test_tokenize.py": SRC
        + '''from tally.tokenize import words


def test_apostrophes_stay_inside_words():
    assert words("Don't stop") == ["don't", "stop"]


def test_digits_and_empty_text():
    assert words("route 66") == ["route", "66"]
    assert words("") == []


def test_non_ascii_is_case_folded():
    assert words("Straße, ÉTÉ!") == ["strasse", "été"]
''',
    },
    "counter": {
        "src/tally/count.py": '''"""Counting words."""

from collections import Counter

from tally.tokenize import words


def top(text: str, n: int) -> list[tuple[str, int]]:
    """The n most frequent words with their counts; ties in alphabetical order."""
    if n <= 0:
        raise ValueError("n must be positive")
    counts = Counter(words(text))
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:n]
''',
        "tests/test_count.py": SRC
        + '''import pytest

from tally.count import top


def test_ties_are_alphabetical():
    assert top("b a b a c", 2) == [("a", 2), ("b", 2)]


def test_n_larger_than_the_words_returns_them_all():
    assert top("one two", 10) == [("one", 1), ("two", 1)]


def test_n_must_be_positive():
    with pytest.raises(ValueError):
        top("x", 0)
''',
    },
    "cli": {
        "src/tally/cli.py": '''"""`python -m tally [--top N] [FILE...]`."""

import argparse
import sys

from tally.count import top


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tally")
    parser.add_argument("--top", type=int, default=10)
    parser.add_argument("files", nargs="*")
    args = parser.parse_args(argv)
    texts = []
    for name in args.files:
        try:
            with open(name, encoding="utf-8") as handle:
                texts.append(handle.read())
        except FileNotFoundError:
            print(f"tally: {name}: No such file", file=sys.stderr)
            return 2
    if not args.files:
        texts.append(sys.stdin.read())
    for word, count in top("\\n".join(texts), args.top):
        print(f"{count} {word}")
    return 0
''',
        "src/tally/__main__.py": '''import sys

from tally.cli import main

sys.exit(main())
''',
        "tests/test_cli.py": SRC
        + '''from tally.cli import main


def test_top_counts_a_file(tmp_path, capsys):
    path = tmp_path / "a.txt"
    path.write_text("b a b")
    assert main(["--top", "1", str(path)]) == 0
    assert capsys.readouterr().out == "2 b\\n"


def test_a_missing_file_exits_2(capsys):
    assert main(["missing.txt"]) == 2
    assert capsys.readouterr().err == "tally: missing.txt: No such file\\n"
''',
    },
    "json-output": {
        "src/tally/formats.py": '''"""Output formats."""

import json


def as_json(pairs: list[tuple[str, int]]) -> str:
    """The pairs as a JSON list, in order, non-ASCII kept as UTF-8."""
    return json.dumps([{"word": w, "count": c} for w, c in pairs], ensure_ascii=False)
''',
        "tests/test_formats.py": SRC
        + '''from tally.formats import as_json


def test_json_keeps_order_and_utf8():
    expected = '[{"word": "été", "count": 2}, {"word": "a", "count": 1}]'
    assert as_json([("été", 2), ("a", 1)]) == expected
''',
    },
    "readme-usage": {
        "README.md": """# tally

Prints the most frequent words of a text.

```sh
pip install -e .
tally --top 5 chapter1.txt      # the five most frequent words
cat notes.txt | tally --top 3   # from standard input
python -m tally chapter1.txt    # the top 10
```
""",
    },
}

HANDOFF = """---
task: {task}
status: done
base: {base}
---
## Summary

Wrote {files} for `{task}`; its verify commands pass.

## Completed

{completed}

## Remaining

None

## Decisions

- Standard library only, as the plan's constraints ask: `re`, `collections.Counter`,
  `argparse`, `json`.

## Gotchas

None

## Next action

Start the tasks that depend on `{task}`.

## Artifacts

{artifacts}

## Verification

{verification}
"""


def main() -> int:
    sys.stdin.read()  # the prompt: this scripted worker already knows what each task needs
    task, base = os.environ["AGENTMD_TASK"], os.environ["AGENTMD_BASE"]
    handoff = os.environ["AGENTMD_HANDOFF"]
    files = FILES.get(task)
    if files is None:
        print(f"demo worker: no script for task '{task}'", file=sys.stderr)
        return 2
    for rel, text in files.items():
        Path(rel).parent.mkdir(parents=True, exist_ok=True)
        Path(rel).write_text(text, encoding="utf-8")
        print(f"wrote {rel}")
    checks = []
    for command in verify_commands(task):
        result = subprocess.run(command, shell=True, capture_output=True, text=True)
        print(f"$ {command}\n{result.stdout}{result.stderr}")
        checks.append(f"- `{command}`: exit {result.returncode}")
    names = sorted(files)
    Path(handoff).parent.mkdir(parents=True, exist_ok=True)
    Path(handoff).write_text(
        HANDOFF.format(
            task=task,
            base=base,
            files=", ".join(f"`{name}`" for name in names),
            completed="\n".join(f"- `{name}`: written for this task" for name in names),
            artifacts="\n".join(f"- {name}" for name in names),
            verification="\n".join(checks) or "- no verify command declared",
        ),
        encoding="utf-8",
    )
    subprocess.run(["git", "add", "-A"], check=True)
    subprocess.run(["git", "commit", "-q", "-m", f"{task}: scripted demo worker"], check=True)
    return 0


def verify_commands(task: str) -> list[str]:
    """The task's verify commands, read from its file in this worktree."""
    import yaml

    text = Path(".agents/tasks", f"{task}.md").read_text(encoding="utf-8")
    front = text.split("---", 2)[1]
    return list(yaml.safe_load(front).get("verify") or [])


if __name__ == "__main__":
    sys.exit(main())
