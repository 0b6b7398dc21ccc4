"""Installing and removing agentmd's git hooks: an id marker, a foreign hook moved aside and
chained, core.hooksPath honoured, and uninstall putting back exactly what was there."""

from __future__ import annotations

import os
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

from agentmd import git
from agentmd.errors import AgentmdError
from agentmd.files import textfile
from agentmd.workspace import scaffold

HOOKS = ("pre-commit", "commit-msg")
MARKER = "# agentmd-hook-id: agentmd/hook/v1"
PREVIOUS = ".agentmd-previous"


@dataclass(frozen=True)
class HooksDir:
    path: Path
    configured: str | None  # core.hooksPath, when set

    def explain(self, root: Path) -> str | None:
        if self.configured is None:
            return None
        note = (
            f"core.hooksPath is set to '{self.configured}': git runs the hooks in {self.path}, "
            "so they go there"
        )
        resolved = self.path.resolve()
        top = root.resolve()
        if not (resolved == top or str(resolved).startswith(str(top) + os.sep)):
            note += (
                " (outside this repository: every repository that uses that folder runs them; "
                "they do nothing where no .agents/ file is staged)"
            )
        return note


def hooks_dir(root: Path) -> HooksDir:
    configured = (
        git.run(["config", "--get", "core.hooksPath"], root, check=False).stdout.strip() or None
    )
    where = git.out(["rev-parse", "--git-path", "hooks"], root).strip()
    return HooksDir((root / os.path.expanduser(where)).absolute(), configured)


def is_ours(path: Path) -> bool:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return MARKER in handle.read(4096)
    except OSError:
        return False


def script(hook: str, python: str) -> str:
    template = scaffold.template_root().joinpath("hooks/hook.sh").read_text(encoding="utf-8")
    return template.replace("@PYTHON@", shlex.quote(python)).replace("@HOOK@", hook)


def install(root: Path, hooks: tuple[str, ...], python: str | None = None) -> list[str]:
    """Install each hook; returns what happened, one line each."""
    where = hooks_dir(root)
    where.path.mkdir(parents=True, exist_ok=True)
    notes = [note] if (note := where.explain(root)) else []
    for hook in hooks:
        target = where.path / hook
        previous = target.with_name(hook + PREVIOUS)
        text = script(hook, python or sys.executable)
        if os.path.lexists(target) and not is_ours(target):
            if os.path.lexists(previous):
                raise AgentmdError(
                    f"{target} is not agentmd's, and {previous.name} is taken already",
                    "move one of them yourself; agentmd will not overwrite either",
                )
            os.replace(target, previous)
            notes.append(f"moved the existing {hook} hook to {previous}; it still runs, first")
        updated = is_ours(target)
        textfile.atomic_write(target, text)
        os.chmod(target, 0o755)
        notes.append(f"{'updated' if updated else 'installed'} {hook} hook: {target}")
    return notes


def uninstall(root: Path, hooks: tuple[str, ...] = HOOKS) -> list[str]:
    where = hooks_dir(root)
    notes = []
    for hook in hooks:
        target = where.path / hook
        previous = target.with_name(hook + PREVIOUS)
        if not os.path.lexists(target):
            if os.path.lexists(previous):
                os.replace(previous, target)
                notes.append(f"restored the earlier {hook} hook: {target}")
            continue
        if not is_ours(target):
            notes.append(f"left {target} alone: it is not agentmd's")
            continue
        os.unlink(target)
        if os.path.lexists(previous):
            os.replace(previous, target)
            notes.append(
                f"removed agentmd's {hook} hook and restored the one that was there before"
            )
        else:
            notes.append(f"removed agentmd's {hook} hook: {target}")
    return notes or ["no agentmd hook was installed"]
