"""Plans kept elsewhere, read into .agents/tasks/: Backlog.md, Task Master, spec-kit, Kiro,
Markdown checklists and GitHub issues. Each format is one module with a `read` function that
returns an `Import` (items and located refusals); `writer` turns that into task files."""

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
