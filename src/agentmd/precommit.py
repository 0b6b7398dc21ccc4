"""The commit hook: check the staged .agents/ files as staged (not as in the working tree), and
that a task staged as review or done has a valid handoff, staged or committed.

Run as `python -m agentmd.precommit HOOK`; it reads only what is staged, and imports no more
than it needs, so that it costs little more than starting Python.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from agentmd import AGENTS_DIR, document, fieldcheck, git
from agentmd.errors import AgentmdError, LocatedError, Problem
from agentmd.handoffcheck import Changes, check_document, parse_name_status
from agentmd.model import Settings

PREFIX = AGENTS_DIR + "/"
SKIPPED = (PREFIX + ".cache/", PREFIX + "templates/")


def hook_env() -> dict[str, str]:
    """git's own variables cleared, except the index: a partial commit (`git commit -p`,
    `git commit FILE`) stages into a temporary index that GIT_INDEX_FILE names."""
    env = git.clean_env(keep_index=True)
    index = env.get("GIT_INDEX_FILE")
    if index and not os.path.isabs(index):
        env["GIT_INDEX_FILE"] = os.path.abspath(index)
    return env


@dataclass
class Staged:
    """The index as the commit will record it (a `Tree` for the handoff checks)."""

    root: Path
    env: dict[str, str]
    _tasks: set[str] | None = None
    _changes: dict[str, Changes | None] = field(default_factory=dict)

    def git(self, *args: str, check: bool = True):
        return git.run(list(args), self.root, check=check, env=self.env)

    def show(self, path: str) -> str | None:
        result = self.git("cat-file", "blob", f":{path}", check=False)
        return result.stdout if result.returncode == 0 else None

    def listed(self, *paths: str) -> list[str]:
        return git.split_z(self.git("--literal-pathspecs", "ls-files", "-z", "--", *paths).stdout)

    def existing(self, paths: list[str]) -> set[str]:
        files = self.listed(*paths)
        return {p for p in paths if any(f == p or f.startswith(p.rstrip("/") + "/") for f in files)}

    def changes(self, base: str) -> Changes | None:
        if base not in self._changes:
            if self.git("rev-parse", "--verify", "--quiet", f"{base}^{{commit}}", check=False).returncode:
                self._changes[base] = None
            else:
                out = self.git("diff", "--cached", "--name-status", "--no-renames", "-z", base, "--").stdout
                self._changes[base] = parse_name_status(out)
        return self._changes[base]

    def is_ancestor(self, base: str) -> bool:
        return self.git("merge-base", "--is-ancestor", base, "HEAD", check=False).returncode == 0

    def task_exists(self, task_id: str) -> bool:
        if self._tasks is None:
            self._tasks = {p[len(PREFIX) + 6 : -3] for p in self.listed(PREFIX + "tasks/") if p.endswith(".md")}
        return task_id in self._tasks

    def describe(self, base: str) -> str:
        return f"the staged diff from base {base[:12]}"


def staged_problems(cwd: Path) -> list[Problem]:
    env = hook_env()
    top = git.run(["rev-parse", "--show-toplevel"], cwd, env=env).stdout.strip()
    tree = Staged(Path(top), env)
    names = git.split_z(tree.git("diff", "--cached", "--name-only", "-z", "--diff-filter=d").stdout)
    staged = [n for n in names if n.startswith(PREFIX) and n.endswith(".md") and not n.startswith(SKIPPED)]
    if not staged:
        return []
    settings = _settings(tree)
    problems: list[Problem] = []
    for path in staged:
        problems += _check_staged(tree, path, settings)
    return problems


def _settings(tree: Staged) -> Settings:
    text = tree.show(PREFIX + "plan.md")
    try:
        doc = document.parse(text, PREFIX + "plan.md") if text else None
    except LocatedError:
        doc = None
    return Settings.from_fields(doc.fields if doc else {})


def _read(tree: Staged, path: str) -> document.Document | Problem | None:
    text = tree.show(path)
    if text is None:
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return Problem(path, 1, 1, "not-utf8", "the staged file is not UTF-8", "save the file as UTF-8")
    try:
        return document.parse(text, path)
    except LocatedError as exc:
        return exc.problem


def _check_staged(tree: Staged, path: str, settings: Settings) -> list[Problem]:
    doc = _read(tree, path)
    if doc is None:
        return []
    if isinstance(doc, Problem):
        return [doc]
    problems = fieldcheck.conflict_markers(doc.text, path)
    if doc.fm is not None:
        problems += fieldcheck.duplicate_keys(doc.fm, path)
    rel = path[len(PREFIX) :]
    lines = doc.key_lines
    if rel.startswith("tasks/"):
        if doc.fm is None:
            return problems + [Problem(path, 1, 1, "task-no-frontmatter", "task file has no front matter",
                                       "start it with '---', 'title: ...', 'status: todo', '---'")]
        problems += fieldcheck.check_task(path, doc.fields, lines, settings, fieldcheck.PathGuard(tree.root), tree.task_exists)
        status = str(doc.fields.get("status") or "").strip().lower()
        if status in ("review", "done"):
            problems += _handoff_rule(tree, rel[len("tasks/") : -3], status, path, lines.get("status", 1))
    elif rel.startswith("handoffs/"):
        problems += check_document(doc, tree)
    elif rel == "plan.md":
        problems += fieldcheck.check_plan(path, doc.fields, lines)
    elif rel.startswith(("rules/", "memory/decisions/", "memory/gotchas/")):
        problems += fieldcheck.check_note(path, doc.fields, lines)
    return problems


def _handoff_rule(tree: Staged, task_id: str, status: str, path: str, line: int) -> list[Problem]:
    handoffs = [p for p in tree.listed(PREFIX + "handoffs/") if p.endswith(".md")]
    by_name = [p for p in handoffs if p.endswith(f"-{task_id}.md") or p.endswith(f"/{task_id}.md")]
    latest = _latest(tree, by_name, task_id) or _latest(tree, [p for p in handoffs if p not in by_name], task_id)
    if latest is None:
        return [Problem(path, line, 1, "handoff-missing",
                        f"task '{task_id}' is staged as {status} but no handoff for it is staged or committed",
                        f"write one (agentmd handoff new {task_id}), fill it, and git add it")]
    handoff_path, doc = latest
    errors = [p for p in check_document(doc, tree) if p.severity == "error"]
    if not errors:
        return []
    return [Problem(path, line, 1, "handoff-invalid",
                    f"task '{task_id}' is staged as {status} but its handoff {handoff_path} has {len(errors)} error(s)",
                    f"run 'agentmd handoff check {handoff_path}', fix it, and git add it")]


def _latest(tree: Staged, paths: list[str], task_id: str) -> tuple[str, document.Document] | None:
    for path in sorted(paths, reverse=True):
        doc = _read(tree, path)
        if isinstance(doc, document.Document) and str(doc.fields.get("task") or "").strip() == task_id:
            return path, doc
    return None


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    hook = args[0] if args else "pre-commit"
    try:
        problems = staged_problems(Path.cwd())
    except AgentmdError as exc:
        print(f"agentmd {hook} hook: error: {exc.message}", file=sys.stderr)
        return exc.exit_code
    problems = sorted(dict.fromkeys(problems), key=lambda p: (p.path, p.line, p.col, p.code))
    for problem in problems:
        print(problem.render(), file=sys.stderr)
    errors = sum(1 for p in problems if p.severity == "error")
    if errors:
        print(
            f"agentmd {hook} hook: commit refused: {errors} error(s) in the staged .agents/ files\n"
            "  hint: fix them and 'git add' them again ('git commit --no-verify' skips this check)",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
