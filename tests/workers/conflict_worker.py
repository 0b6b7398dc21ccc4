"""A fake worker for a conflict the loop hands over (`merge_conflicts: worker`), run in the
task's worktree with the rebase stopped: `conflict_worker.py MODE`.

resolve  keeps both sides of each conflict (no markers), continues the rebase, writes a
         handoff and commits it
leave    exits 0 and leaves the rebase stopped, the conflict unresolved
markers  stages the files, markers and all, and continues the rebase
"""

import os
import re
import subprocess
import sys
from pathlib import Path

HANDOFF = """---
task: {id}
status: done
base: {base}
---
## Summary

Resolved the conflict in `shared.txt` by keeping both tasks' lines.

## Completed

- `shared.txt`: both lines kept, in the order the base branch has them.

## Remaining

None

## Decisions

- Both lines stay, because each task's verify command needs its own.

## Gotchas

None

## Next action

Merge the branch: the conflict with the base branch is resolved.

## Artifacts

- shared.txt

## Verification

- `grep -q {id} shared.txt`: exit 0
"""
BLOCK = re.compile(r"<<<<<<< [^\n]*\n(.*?)=======\n(.*?)>>>>>>> [^\n]*\n", re.S)
QUIET = {**os.environ, "GIT_EDITOR": "true"}


def unmerged() -> list[str]:
    out = subprocess.run(
        ["git", "diff", "--name-only", "--diff-filter=U"], capture_output=True, text=True
    ).stdout
    return out.split()


def main() -> int:
    mode = sys.argv[1]
    prompt = sys.stdin.read()
    task = os.environ["AGENTMD_TASK"]
    print(f"conflict worker {mode} on {task}", flush=True)
    assert "Preserve the intent of both changes" in prompt, prompt
    if mode == "leave":
        return 0
    for name in unmerged():
        path = Path(name)
        if mode == "resolve":
            path.write_text(BLOCK.sub(lambda m: m.group(1) + m.group(2), path.read_text()))
        subprocess.run(["git", "add", name], check=True)
    subprocess.run(["git", "rebase", "--continue"], check=True, env=QUIET)
    if mode == "resolve":
        handoff = Path(os.environ["AGENTMD_HANDOFF"])
        handoff.parent.mkdir(parents=True, exist_ok=True)
        handoff.write_text(HANDOFF.format(id=task, base=os.environ["AGENTMD_BASE"]))
        subprocess.run(["git", "add", "-A"], check=True)
        subprocess.run(["git", "commit", "-q", "-m", f"{task}: resolved"], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
