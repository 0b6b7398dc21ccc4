"""A worker for the real-shaped project of test_real_project.py: it does what a coding agent
does there inside `agentmd run`. It reads its prompt on stdin, changes the project's own kinds
of files (a module under src/, CHANGES.rst, a Makefile, a dot file, a CI workflow), commits,
records the verify pass, writes the handoff where the loop says, checks it and commits it.
`break` mode puts an error at the top of the module: the task's own test does not import it
(its verify passes in the worktree), the project's whole suite does."""

import os
import re
import subprocess
import sys
from pathlib import Path

HANDOFF = """---
task: {task}
status: done
base: {base}
---
## Summary

`encode()` in `src/shapes/encoding.py` takes a charset; CHANGES.rst says so.

## Completed

- `src/shapes/encoding.py`: `encode(text, charset='utf-8')`
- `CHANGES.rst`: an entry for the charset argument

## Remaining

None

## Decisions

- utf-8 stays the default, because every caller relies on it today.

## Gotchas

None

## Lessons

None

## Next action

Release 0.2.0 from `CHANGES.rst`.

## Artifacts

- .github/workflows/ci.yml
- .gitignore
- CHANGES.rst
- Makefile
- src/shapes/encoding.py

## Verification

- `agentmd verify {task}`: passed
"""


def run(*argv: str) -> None:
    subprocess.run(argv, check=True)


def main() -> int:
    mode = sys.argv[1] if len(sys.argv) > 1 else "work"
    prompt = sys.stdin.read()
    task = os.environ["AGENTMD_TASK"]
    base = re.search(r"with `base: ([0-9a-f]+)`", prompt).group(1)
    top = "raise RuntimeError('not yet')\n" if mode == "break" else ""
    Path("src/shapes/encoding.py").write_text(
        top + "def encode(text: str, charset: str = 'utf-8') -> bytes:\n"
        "    return text.encode(charset)\n"
    )
    changes = Path("CHANGES.rst")
    changes.write_text(changes.read_text() + "\n-   ``encode`` takes a charset.\n")
    Path("Makefile").write_text("test:\n\tpython -m unittest discover -s tests -q\n")
    Path(".gitignore").write_text(".venv/\n__pycache__/\n*.egg-info/\n.cache/\n")
    Path(".github/workflows").mkdir(parents=True, exist_ok=True)
    Path(".github/workflows/ci.yml").write_text("name: ci\non: [push, pull_request]\n")
    run("git", "add", "-A")
    run("git", "commit", "-q", "-m", f"{task}: encode takes a charset")
    run("agentmd", "verify", task)
    handoff = Path(os.environ["AGENTMD_HANDOFF"])
    handoff.parent.mkdir(parents=True, exist_ok=True)
    handoff.write_text(HANDOFF.format(task=task, base=base))
    run("agentmd", "handoff", "check")
    run("git", "add", "-A")
    run("git", "commit", "-q", "-m", f"{task}: handoff")
    return 0


if __name__ == "__main__":
    sys.exit(main())
