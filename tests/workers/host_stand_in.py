"""Stand-ins for the hosts' non-interactive CLIs, for the loop's tests: `host_stand_in.py HOST
ARGS...`, run as `claude`, `codex` or `gemini` from a folder on PATH. Each reads its flags the
way the real CLI does and refuses what the real one refuses without them: editing files, and
committing (a linked worktree's commit writes to the main repository's git directory). When
allowed, it does the fake worker's good job: the task's file, a complete handoff, a commit.

claude  -p; edits need --permission-mode acceptEdits (or bypassPermissions); `git add` and
        `git commit` need Bash(git add:*) and Bash(git commit:*) in --allowedTools
codex   exec; edits need --sandbox workspace-write (default read-only); a commit needs the git
        common dir writable: --add-dir naming it
gemini  -p; edits need --approval-mode auto_edit (or yolo); a commit needs
        run_shell_command(git add) and run_shell_command(git commit) in --allowed-tools
Refused, it says so on stdout and exits 0, as the real CLIs do when a tool is denied.
claude with --output-format json ends with the one JSON object the real one prints (its result,
`total_cost_usd` and `usage`).
"""

import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fake_worker import HANDOFF  # noqa: E402


def values(args: list[str], flag: str) -> list[str]:
    """Every value after `flag`, up to the next flag (variadic, as these CLIs read lists)."""
    found, taking = [], False
    for arg in args:
        if arg == flag:
            taking = True
        elif arg.startswith("-") and arg != "-":
            taking = False
        elif taking:
            found += [part for part in arg.split(",") if part] if flag != "--add-dir" else [arg]
    return found


def permissions(host: str, args: list[str]) -> tuple[str | None, bool, bool]:
    """(why it cannot run at all, may edit, may commit)."""
    if host == "claude":
        if "-p" not in args and "--print" not in args:
            return "claude: no -p: this would open the interactive UI", False, False
        mode = (values(args, "--permission-mode") or ["default"])[0]
        tools = values(args, "--allowedTools")
        edit = mode in ("acceptEdits", "bypassPermissions")
        commit = mode == "bypassPermissions" or {"Bash(git add:*)", "Bash(git commit:*)"} <= set(
            tools
        )
        return None, edit, commit
    if host == "codex":
        if not args or args[0] != "exec":
            return "codex: no exec: this would open the interactive UI", False, False
        sandbox = (values(args, "--sandbox") or ["read-only"])[0]
        edit = sandbox in ("workspace-write", "danger-full-access")
        common = subprocess.run(
            ["git", "rev-parse", "--path-format=absolute", "--git-common-dir"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        writable = {str(Path(d).resolve()) for d in values(args, "--add-dir")}
        commit = sandbox == "danger-full-access" or (
            edit and str(Path(common).resolve()) in writable
        )
        return None, edit, commit
    if "-p" not in args and "--prompt" not in args:
        return "gemini: no -p: this would open the interactive UI", False, False
    mode = (values(args, "--approval-mode") or ["default"])[0]
    tools = set(values(args, "--allowed-tools"))
    edit = mode in ("auto_edit", "yolo")
    commit = (
        mode == "yolo"
        or {
            "run_shell_command(git add)",
            "run_shell_command(git commit)",
        }
        <= tools
    )
    return None, edit, commit


def result_json(host: str, args: list[str]) -> None:
    """Claude Code -p's `--output-format json` report, as its last line."""
    if host == "claude" and (values(args, "--output-format") or ["text"])[0] == "json":
        print(
            '{"type": "result", "subtype": "success", "is_error": false, "result": "Done.", '
            '"total_cost_usd": 0.0421, "usage": {"input_tokens": 1200, '
            '"cache_creation_input_tokens": 300, "cache_read_input_tokens": 4000, '
            '"output_tokens": 500, "service_tier": "standard"}}',
            flush=True,
        )


def main() -> int:
    host, args = sys.argv[1], sys.argv[2:]
    try:
        return work(host, args)
    finally:
        result_json(host, args)


def work(host: str, args: list[str]) -> int:
    prompt = sys.stdin.read()
    task, base, handoff = (
        os.environ["AGENTMD_TASK"],
        os.environ["AGENTMD_BASE"],
        os.environ["AGENTMD_HANDOFF"],
    )
    fatal, edit, commit = permissions(host, args)
    if fatal:
        print(fatal, file=sys.stderr)
        return 1
    print(f"{host} stand-in on {task} ({len(prompt)} characters of prompt)", flush=True)
    if not edit:
        print(f"{host}: permission to write out/{task}.txt was denied", flush=True)
        return 0
    Path("out").mkdir(exist_ok=True)
    Path(f"out/{task}.txt").write_text(f"done {task}\n")
    Path(handoff).parent.mkdir(parents=True, exist_ok=True)
    Path(handoff).write_text(
        HANDOFF.format(
            id=task, base=base, summary=f"Wrote `out/{task}.txt` so the verify command passes.",
            artifacts=f"- out/{task}.txt",
        )
    )  # fmt: skip
    if not commit:
        print(f"{host}: permission to run git commit was denied", flush=True)
        return 0
    subprocess.run(["git", "add", "-A"], check=True)
    subprocess.run(["git", "commit", "-q", "-m", f"{task}: {host} stand-in"], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
