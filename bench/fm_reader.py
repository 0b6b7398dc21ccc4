"""The reference for a cold `agentmd next`: a hand-written reader of the same front matters, as
lean as such a script gets. `python bench/fm_reader.py PLAN_ROOT` reads every task file's front
matter (`key: value` lines and `[a, b]` lists, nothing else of YAML), picks the ready tasks
(todo, every dependency done), sorts them by priority and id, and prints the first one's file.

It checks nothing, keeps no cache, ranks by no unblock count and compiles no prompt: what it
costs is reading 10,000 small files and splitting their lines, the least any tool that reads
them pays. bench/run.py times it beside `agentmd next` with the cache deleted.
"""

from __future__ import annotations

import os
import sys

PRIORITY = {"high": 0, "medium": 1, "low": 2}


def front_matter(text: str) -> dict[str, object]:
    if not text.startswith("---\n"):
        return {}
    end = text.find("\n---\n", 3)
    fields: dict[str, object] = {}
    for line in text[4 : end if end >= 0 else len(text)].split("\n"):
        key, colon, value = line.partition(":")
        if not colon or line[:1] in " -#":
            continue
        value = value.strip()
        if value.startswith("[") and value.endswith("]"):
            fields[key] = [item.strip() for item in value[1:-1].split(",") if item.strip()]
        else:
            fields[key] = value
    return fields


def main(root: str) -> None:
    folder = os.path.join(root, ".agents", "tasks")
    tasks = {}
    for name in os.listdir(folder):
        if name.endswith(".md"):
            with open(os.path.join(folder, name), encoding="utf-8") as handle:
                tasks[name[:-3]] = front_matter(handle.read())
    ready = [
        (PRIORITY.get(str(fields.get("priority")), 1), tid)
        for tid, fields in tasks.items()
        if fields.get("status") == "todo"
        and all(tasks.get(dep, {}).get("status") == "done" for dep in fields.get("depends_on", []))
    ]
    print(os.path.join(folder, min(ready)[1] + ".md") if ready else "nothing is ready")


if __name__ == "__main__":
    main(sys.argv[1])
