"""Each format `import` reads, and the module that reads it."""

from __future__ import annotations

import importlib

# format -> module; each module has read(path: Path, root: Path) -> Import
FORMATS = {
    "backlog": "agentmd.importers.backlog",
    "taskmaster": "agentmd.importers.taskmaster",
    "speckit": "agentmd.importers.tasks_md",
    "kiro": "agentmd.importers.tasks_md",
    "checklist": "agentmd.importers.checklist",
    "github": "agentmd.importers.github_issues",
}


def reader(fmt: str):
    return importlib.import_module(FORMATS[fmt])
