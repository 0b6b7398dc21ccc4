"""A fake coding agent for the loop's tests: `fake_worker.py MODE`, run by `agentmd run` in the
task's worktree with the prompt on stdin. Each task writes `out/<id>.txt`.

good     writes its output, a complete handoff, and commits
vague    the same, but the handoff's summary is vague
drift    also writes notes.txt, outside the task's outputs (and lists it honestly)
hang     sleeps far past any timeout
crash    prints a traceback-like line and exits 3
slow     like good, after sleeping $FAKE_WORKER_SLEEP seconds (for the SIGKILL test)
break:ID like good, but on task ID it puts `raise RuntimeError` at the top of src/demo/ID.py
         (its output), the file an editable install of the main checkout imports
"""

import os
import subprocess
import sys
import time
from pathlib import Path

HANDOFF = """---
task: {id}
status: done
base: {base}
---
## Summary

{summary}

## Completed

- `out/{id}.txt`: holds the line `done {id}`.

## Remaining

None

## Decisions

- Plain text output, because the verify command only checks the file's content.

## Gotchas

None

## Next action

Start the tasks that depend on `{id}`.

## Artifacts

{artifacts}

## Verification

- `grep -q done out/{id}.txt`: exit 0
"""


def main() -> int:
    mode = sys.argv[1]
    sys.stdin.read()  # the prompt
    task, base, handoff = (
        os.environ["AGENTMD_TASK"],
        os.environ["AGENTMD_BASE"],
        os.environ["AGENTMD_HANDOFF"],
    )
    print(f"fake worker {mode} on {task}", flush=True)
    if mode == "crash":
        print("Traceback (most recent call last):\nRuntimeError: boom", flush=True)
        return 3
    if mode == "hang":
        time.sleep(1000)
        return 0
    if mode == "slow":
        time.sleep(float(os.environ.get("FAKE_WORKER_SLEEP", "1")))
    Path("out").mkdir(exist_ok=True)
    Path(f"out/{task}.txt").write_text(f"done {task}\n")
    artifacts = [f"- out/{task}.txt"]
    if mode == f"break:{task}":
        module = Path(f"src/demo/{task}.py")
        module.write_text(f'raise RuntimeError("{task} is broken")\n' + module.read_text())
        artifacts.append(f"- {module}")
    if mode == "drift":
        Path("notes.txt").write_text("notes the task did not ask for\n")
        artifacts.append("- notes.txt")
    summary = (
        "Fixed some issues."
        if mode == "vague"
        else f"Wrote `out/{task}.txt` so the verify command passes."
    )
    Path(handoff).parent.mkdir(parents=True, exist_ok=True)
    Path(handoff).write_text(
        HANDOFF.format(id=task, base=base, summary=summary, artifacts="\n".join(artifacts))
    )
    subprocess.run(["git", "add", "-A"], check=True)
    subprocess.run(["git", "commit", "-q", "-m", f"{task}: {mode} worker"], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
