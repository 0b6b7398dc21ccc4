"""A fake `gh` for the tests: answers as gh does from a recorded state file (issues with their
comments, pull requests) and records each call, with its stdin, so nothing reaches GitHub.

FAKE_GH_DIR holds state.json and calls.jsonl; FAKE_GH_MODE=ratelimit|fail|auth makes every
call fail the way gh does in that case; "fail_comments" in the state, each `gh pr comment`."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

FIELDS = ("number", "title", "body", "labels", "state", "assignees")


def main(argv: list[str]) -> int:
    folder = Path(os.environ["FAKE_GH_DIR"])
    stdin = "" if sys.stdin is None or sys.stdin.isatty() else sys.stdin.read()
    with open(folder / "calls.jsonl", "a", encoding="utf-8") as log:
        log.write(json.dumps({"args": argv, "stdin": stdin}) + "\n")
    mode = os.environ.get("FAKE_GH_MODE", "")
    if mode == "ratelimit":
        print("GraphQL: API rate limit exceeded for user ID 1. (graphql)", file=sys.stderr)
        return 1
    if mode == "fail":
        print("HTTP 502: Bad Gateway (https://api.github.com/graphql)", file=sys.stderr)
        return 1
    if mode == "auth":
        print("To get started with GitHub CLI, please run:  gh auth login", file=sys.stderr)
        return 4
    state_file = folder / "state.json"
    state = json.loads(state_file.read_text(encoding="utf-8"))
    result = answer(state, argv, stdin)
    state_file.write_text(json.dumps(state, indent=2), encoding="utf-8")
    return result


def option(argv: list[str], name: str, default: str = "") -> str:
    return argv[argv.index(name) + 1] if name in argv else default


def answer(state: dict, argv: list[str], stdin: str) -> int:
    issues = {str(i["number"]): i for i in state.setdefault("issues", [])}
    pulls = state.setdefault("pulls", {})
    match argv[:2]:
        case ["issue", "list"]:
            labels = [argv[i + 1] for i, a in enumerate(argv) if a == "--label"]
            want = option(argv, "--state", "open").upper()
            fields = option(argv, "--json").split(",")
            out = []
            for issue in state["issues"]:
                names = {lab["name"] for lab in issue.get("labels", [])}
                if want != "ALL" and issue["state"] != want:
                    continue
                if not all(label in names for label in labels):
                    continue
                out.append({k: issue.get(k) for k in fields})
            print(json.dumps(out))
        case ["issue", "view"]:
            issue = issues.get(argv[2])
            if issue is None:
                print(
                    f"GraphQL: Could not resolve to an issue with the number of {argv[2]}.",
                    file=sys.stderr,
                )
                return 1
            fields = option(argv, "--json").split(",")
            print(json.dumps({k: issue.get(k, []) for k in fields}))
        case ["issue", "comment"]:
            body = stdin if option(argv, "--body-file") == "-" else option(argv, "--body")
            issues[argv[2]].setdefault("comments", []).append({"body": body})
            print(f"https://github.com/o/r/issues/{argv[2]}#issuecomment-1")
        case ["issue", "close"]:
            issue = issues[argv[2]]
            if option(argv, "--comment"):
                issue.setdefault("comments", []).append({"body": option(argv, "--comment")})
            issue["state"] = "CLOSED"
            print(f"✓ Closed issue #{argv[2]}", file=sys.stderr)
        case ["pr", "create"]:
            head = option(argv, "--head")
            number = str(len(pulls) + 1)
            pulls[number] = {"state": "OPEN", "head": head, "title": option(argv, "--title"),
                             "body": stdin, "comments": []}  # fmt: skip
            print(f"https://github.com/o/r/pull/{number}")
        case ["pr", "comment"] if state.get("fail_comments"):
            print("HTTP 502: Bad Gateway (https://api.github.com/graphql)", file=sys.stderr)
            return 1
        case ["pr", "comment"]:
            pulls[argv[2].rsplit("/", 1)[-1]]["comments"].append({"body": stdin})
            print(f"https://github.com/o/r/pull/{argv[2]}#issuecomment-2")
        case ["pr", "view"]:
            pull = pulls.get(argv[2].rsplit("/", 1)[-1])
            if pull is None:
                print(f'no pull requests found for branch "{argv[2]}"', file=sys.stderr)
                return 1
            fields = option(argv, "--json").split(",")
            print(json.dumps({k: pull.get(k) for k in fields}))
        case _:
            print(f'unknown command "{" ".join(argv[:2])}" for "gh"', file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
