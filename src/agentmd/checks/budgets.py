"""Budgets: the always-loaded agent files within `rules_budget`, every ready task's prompt within
the prompt budget."""

from __future__ import annotations

import os
from pathlib import Path

from agentmd import AGENTS_DIR, git
from agentmd.errors import LocatedError, Problem
from agentmd.files import textfile
from agentmd.prompt.tokens import Counter
from agentmd.workspace.folder import Workspace

ALWAYS_LOADED = ("AGENTS.md", "CLAUDE.md")
SKIP_DIRS = {".git", "node_modules", ".venv", "venv", "__pycache__", ".cache", ".tox"}
PROMPT_SLACK = 4096  # bytes of header and footer text the compiler adds around the parts


def always_loaded(ws: Workspace) -> list[tuple[str, Path]]:
    """(display, path) of every AGENTS.md and CLAUDE.md in the repository and every always-rule."""
    found = []
    listed = git.run(
        ["ls-files", "-z", "-co", "--exclude-standard", "--", *(f"*{n}" for n in ALWAYS_LOADED)],
        ws.root,
        check=False,
    )
    if listed.returncode == 0:
        names = [p for p in git.split_z(listed.stdout) if p.rsplit("/", 1)[-1] in ALWAYS_LOADED]
    else:
        names = []
        for folder, dirs, files in os.walk(ws.root):
            dirs[:] = [d for d in dirs if d not in SKIP_DIRS and d != AGENTS_DIR]
            rel = os.path.relpath(folder, ws.root)
            names += [
                name if rel == "." else f"{rel}/{name}" for name in files if name in ALWAYS_LOADED
            ]
    found += [(name, ws.root / name) for name in sorted(set(names)) if (ws.root / name).is_file()]
    found += [(ws.display(rule.path), ws.agents / rule.path) for rule in ws.rules if rule.always]
    return found


CODEX_PROJECT_DOC_BYTES = 32 * 1024  # Codex reads at most this much of the AGENTS.md chain
HOST_FILES = (("AGENTS.md",), ("CLAUDE.md",))  # what one host loads: AGENTS.md or CLAUDE.md


def budget_problems(
    ws: Workspace, files: list[tuple[str, Path]], counter: Counter, budget: int
) -> list[Problem]:
    """An agent working in a folder loads the AGENTS.md/CLAUDE.md there and above, and the
    always-rules: report the first folder (from the root down) where that goes over budget.
    A host loads AGENTS.md or CLAUDE.md, not both: the heavier of the two counts, and a file
    reached twice (CLAUDE.md a symlink to AGENTS.md) once. Over the budget is a warning, with
    its cost; an error where a host cuts the files off (Codex: 32 KiB of AGENTS.md) or where
    plan.md asks for one (`rules_budget_error: true`)."""
    cost: dict[str, int] = {}
    size: dict[str, int] = {}
    real: dict[str, str] = {}
    for display, path in files:
        try:
            text = textfile.read_text(path, display)
        except LocatedError:
            continue
        cost[display] = counter.count(text)
        size[display] = len(text.encode("utf-8"))
        real[display] = os.path.realpath(path)
    rules = [d for d in cost if d.startswith(AGENTS_DIR + "/")]
    agent_files = [d for d in cost if d not in rules]
    folders = sorted(
        {d.rpartition("/")[0] for d in agent_files} | {""}, key=lambda f: (f.count("/"), f)
    )
    strict = ws.settings.raw.get("rules_budget_error") is True
    problems = []
    over_at: list[str] = []

    def chain(folder: str) -> list[str]:
        """What the heaviest host loads working in `folder`, each file once."""
        options = []
        for names in HOST_FILES:
            loaded = [
                d
                for d in agent_files
                if d.rpartition("/")[-1] in names and _under(folder, d.rpartition("/")[0])
            ]
            options.append(loaded + rules)
        heaviest = max(options, key=lambda loaded: sum(cost[d] for d in _once(loaded, real)))
        return _once(heaviest, real)

    for folder in folders:
        if any(_under(folder, parent) for parent in over_at):
            continue
        loaded = chain(folder)
        total = sum(cost[d] for d in loaded)
        codex = sum(
            size[d]
            for d in agent_files
            if d.endswith("AGENTS.md") and _under(folder, d.rpartition("/")[0])
        )
        cut = codex > CODEX_PROJECT_DOC_BYTES
        if (total <= budget and not cut) or not loaded:
            continue
        over_at.append(folder)
        here = [d for d in loaded if d.rpartition("/")[0] == folder and d in agent_files] or sorted(
            loaded, key=lambda d: -cost[d]
        )
        detail = "; ".join(f"{d} {cost[d]:,}" for d in loaded)
        where = f"in {folder}/" if folder else "at the repository root"
        message = (
            f"an agent working {where} loads {total:,} tokens of always-loaded files, over "
            f"the budget of {budget:,} ({detail})"
        )
        if cut:
            message += (
                f"; Codex reads at most {CODEX_PROJECT_DOC_BYTES // 1024} KiB of AGENTS.md "
                f"files and cuts the rest off ({codex:,} bytes here)"
            )
        problems.append(
            Problem(
                here[0],
                1,
                1,
                "always-loaded-budget",
                message,
                "move detail into scoped rules (.agents/rules/ with applies_to) and let "
                "'agentmd rules build' write the hosts' files from them, or raise rules_budget "
                "in .agents/plan.md",
                "error" if cut or strict else "warning",
            )
        )
    return problems


def _once(displays: list[str], real: dict[str, str]) -> list[str]:
    """Each file once, by what it really is: a symlink and its target are one file."""
    seen: set[str] = set()
    kept = []
    for display in displays:
        if real.get(display, display) not in seen:
            seen.add(real.get(display, display))
            kept.append(display)
    return kept


def _under(folder: str, parent: str) -> bool:
    return parent == "" or folder == parent or folder.startswith(parent + "/")


def prompt_problems(ws: Workspace, counter: Counter) -> list[Problem]:
    """Every ready task's prompt within the prompt budget. A prompt's tokens never exceed the
    bytes it is made of, so only a task whose parts could exceed the budget is compiled."""
    ready = ws.unblocked
    if not ready:
        return []
    fits = PromptFit(ws, counter)
    return [problem for task in ready for problem in fits.problems(task)]


class PromptFit:
    """Whether one task's prompt fits the prompt budget, compiling it only when the bytes of
    its parts could exceed the budget."""

    def __init__(self, ws: Workspace, counter: Counter):
        self.ws = ws
        self.counter = counter
        self.size = ws.size_of
        shared = self.size("plan.md", 0) + PROMPT_SLACK
        for group in ("rules", "decisions", "gotchas"):
            shared += sum(self.size(record.path, 0) for record in ws.index.groups[group])
        self.shared = shared
        self.latest = ws.latest_handoffs
        self.budget = ws.settings.prompt_budget

    def problems(self, task) -> list[Problem]:
        bound = self.shared + self.size(task.path, 0)
        for dep in task.depends_on:
            bound += self.size(self.latest[dep].path, 0) if dep in self.latest else 0
        if bound <= self.budget:
            return []
        from agentmd.prompt.compiler import TooLarge, compile_prompt  # asked of 3,500 tasks

        try:
            compile_prompt(self.ws, task, None, self.counter)
        except TooLarge as exc:
            return [
                Problem(self.ws.display(task.path), 1, 1, "prompt-too-large", exc.message, exc.hint)
            ]
        except LocatedError:
            pass  # reported as the file's own finding
        return []
