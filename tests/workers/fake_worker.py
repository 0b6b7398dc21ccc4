"""A fake coding agent for the loop's tests: `fake_worker.py MODE`, run by `agentmd run` in the
task's worktree with the prompt on stdin. Each task writes `out/<id>.txt`.

good     writes its output, a complete handoff, and commits
vague    the same, but the handoff's summary is vague
drift    also writes notes.txt, outside the task's outputs (and lists it honestly)
hang     sleeps far past any timeout
crash    prints a traceback-like line and exits 3
slow     like good, after sleeping $FAKE_WORKER_SLEEP seconds (for the SIGKILL test)
lesson   like good, and its handoff records a lesson under ## Lessons
break:ID like good, but on task ID it puts `raise RuntimeError` at the top of src/demo/ID.py
         (its output), the file an editable install of the main checkout imports
limit    the first time for a task, prints $FAKE_WORKER_LIMIT (a host's usage-limit message)
         and exits 1, as a host does; after that (a file in $FAKE_WORKER_STATE), like good
port     like good, holding a socket on $AGENTMD_PORT for $FAKE_WORKER_SLEEP seconds (as a dev
         server would) and writing its slot and port into its output
cost     like good, ending with a Claude Code style JSON result: $0.25, 1,200 tokens
goal     like good, and also rewrites the Goal in its own task file (scope drift)
obey     does the work, then every `agentmd ...` step of the prompt's finishing steps, in
         order, skipping only what the prompt says not to run; fills the handoff it created
"""

import os
import re
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


def finishing_steps(prompt: str) -> list[str]:
    """The `agentmd ...` commands of the numbered steps under the prompt's finishing heading,
    less those a "Do not run" line forbids (`agentmd done`, `claim` or `fail`)."""
    forbidden = set()
    for line in prompt.splitlines():
        if "do not run" in line.lower():
            said = line.lower().split("do not run", 1)[1].split(":", 1)[0]
            forbidden |= {w.split()[-1] for w in re.findall(r"`([^`]+)`", said)}
    steps, inside = [], False
    for line in prompt.splitlines():
        if line.startswith("#"):
            inside = "finish" in line.lower()
        elif inside and re.match(r"\s*\d+\. ", line):
            for command in re.findall(r"`(agentmd [^`]+)`", line):
                if command.split()[1] not in forbidden and "..." not in command:
                    steps.append(command)
    return steps


def obey(prompt: str, task: str, base: str, handoff: str) -> int:
    steps = finishing_steps(prompt)
    if "Run the verify commands above" in prompt:  # the loop's words: agentmd's way to run them
        steps.insert(0, f"agentmd verify {task}")
    print("steps:", steps, flush=True)
    assert steps, "the prompt has no finishing steps"
    where = re.search(r"Write the handoff to `([^`]+)`", prompt)
    Path("out").mkdir(exist_ok=True)
    Path(f"out/{task}.txt").write_text(f"done {task}\n")
    subprocess.run(["git", "add", "-A"], check=True)
    subprocess.run(["git", "commit", "-q", "-m", f"{task}: the work"], check=True)
    folder = Path(".agents/handoffs")
    if where:  # the loop says where the handoff goes: written before `agentmd handoff check`
        Path(where.group(1)).parent.mkdir(parents=True, exist_ok=True)
        Path(where.group(1)).write_text(
            HANDOFF.format(
                id=task,
                base=base,
                summary=f"Wrote `out/{task}.txt` so the verify command passes.",
                artifacts=f"- out/{task}.txt",
            )
        )
    for command in steps:
        before = set(folder.glob("*.md")) if folder.is_dir() else set()
        done = subprocess.run(command, shell=True)
        print(f"{command}: exit {done.returncode}", flush=True)
        created = sorted(set(folder.glob("*.md")) - before)
        for path in created:  # the handoff it wrote from the template: fill every section
            text = HANDOFF.format(
                id=task,
                base=base,
                summary=f"Wrote `out/{task}.txt` so the verify command passes.",
                artifacts=f"- out/{task}.txt",
            )
            path.write_text(text)
        if done.returncode != 0:
            return done.returncode
    subprocess.run(["git", "add", "-A"], check=True)
    subprocess.run(["git", "commit", "-q", "-m", f"{task}: handoff"], check=True)
    return 0


def main() -> int:
    mode = sys.argv[1]
    prompt = sys.stdin.read()
    task, base, handoff = (
        os.environ["AGENTMD_TASK"],
        os.environ["AGENTMD_BASE"],
        os.environ["AGENTMD_HANDOFF"],
    )
    print(f"fake worker {mode} on {task}", flush=True)
    if mode == "limit":
        seen = Path(os.environ["FAKE_WORKER_STATE"]) / f"limited-{task}"
        if not seen.exists():
            seen.write_text("limited once\n")
            print(os.environ["FAKE_WORKER_LIMIT"], flush=True)
            return 1
    if mode == "obey":
        return obey(prompt, task, base, handoff)
    if mode == "crash":
        print("Traceback (most recent call last):\nRuntimeError: boom", flush=True)
        return 3
    if mode == "hang":
        time.sleep(1000)
        return 0
    if mode == "slow":
        time.sleep(float(os.environ.get("FAKE_WORKER_SLEEP", "1")))
    server = None
    if mode == "port":
        import socket

        server = socket.socket()
        server.bind(("127.0.0.1", int(os.environ["AGENTMD_PORT"])))  # fails if taken
        server.listen()
        time.sleep(float(os.environ.get("FAKE_WORKER_SLEEP", "1")))
    Path("out").mkdir(exist_ok=True)
    Path(f"out/{task}.txt").write_text(f"done {task}\n")
    if server is not None:
        slot, port = os.environ["AGENTMD_SLOT"], os.environ["AGENTMD_PORT"]
        Path(f"out/{task}.txt").write_text(f"done {task}\nslot {slot} port {port}\n")
        server.close()
    artifacts = [f"- out/{task}.txt"]
    if mode == "goal":
        own = Path(f".agents/tasks/{task}.md")
        own.write_text(own.read_text().replace("says `done", "might say `done"))
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
    if mode == "lesson":
        text = Path(handoff).read_text()
        lesson = f"- `out/{task}.txt` must end with a newline: the verify command greps it.\n\n"
        Path(handoff).write_text(
            text.replace("## Next action", "## Lessons\n\n" + lesson + "## Next action")
        )
    subprocess.run(["git", "add", "-A"], check=True)
    subprocess.run(["git", "commit", "-q", "-m", f"{task}: {mode} worker"], check=True)
    if mode == "cost":
        usage = {"input_tokens": 1000, "output_tokens": 200, "service_tier": "standard"}
        print(
            '{"type": "result", "is_error": false, "total_cost_usd": 0.25, "usage": '
            + str(usage).replace("'", '"')
            + "}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
