"""The commit hook: check the staged .agents/ files as staged (not as in the working tree), and
that a task staged as review or done has a valid handoff, staged or committed.

Run as `python -m agentmd.precommit HOOK`; it reads only what is staged, and imports no more
than it needs, so that it costs little more than starting Python.
"""

from __future__ import annotations

import bisect
import itertools
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from agentmd import AGENTS_DIR, error_output, git
from agentmd.checks import fields
from agentmd.errors import LocatedError, Problem
from agentmd.files import document
from agentmd.handoffs.changes import Changes, is_shallow, parse_name_status
from agentmd.handoffs.judge import check_document
from agentmd.handoffs.latest import Latest, newest_first, rule_problems
from agentmd.handoffs.reading import READINGS, Readings
from agentmd.workspace.records import Settings

PREFIX = AGENTS_DIR + "/"
SKIPPED = (PREFIX + ".cache/", PREFIX + "templates/")
HANDOFFS = PREFIX + "handoffs/"


def hook_env() -> dict[str, str]:
    """git's own variables cleared, except the index: a partial commit (`git commit -p`,
    `git commit FILE`) stages into a temporary index that GIT_INDEX_FILE names."""
    env = git.clean_env(keep_index=True)
    index = env.get("GIT_INDEX_FILE")
    if index and not os.path.isabs(index):
        env["GIT_INDEX_FILE"] = os.path.abspath(index)
    return env


class Staged:
    """The index as the commit will record it (a `Tree` for the handoff checks)."""

    rev = ""  # blobs are read as `REV:path`: the index when empty
    indexed: tuple[str, ...] = ()  # the paths this commit stages (in the index, then), sorted
    latest: Latest | None = None  # handoffs.latest keeps its finder here

    def __init__(self, root: Path, env: dict[str, str]):
        self.root = root
        self.env = env
        self._blobs: dict[str, str | None] = {}
        self.staged: set[str] = set()
        self._changes: dict[tuple[str, str | None], Changes | None] = {}
        self._checked: dict[str, list[Problem]] = {}
        self._ancestor: dict[tuple[str, str | None], bool] = {}
        self._handoffs: list[str] | None = None
        # path -> blob id of each path the commit changes (None: deletes), from `diffed`
        self.diffed: dict[str, str | None] = {}
        # What `check` (or an earlier commit) read of a handoff, by its blob id: a hit needs no
        # Markdown parser, the larger part of what the hook would import.
        self.readings = Readings(root / AGENTS_DIR / READINGS)

    def git(self, *args: str, check: bool = True, input: str | None = None, env=None):
        data = None if input is None else input.encode("utf-8", "surrogateescape")
        return git.run_bytes(list(args), self.root, check=check, env=env or self.env, input=data)

    @property
    def magic_env(self) -> dict[str, str]:
        """The environment with pathspec magic (`:(exclude)`) on, whatever the user's is."""
        return {**self.env, "GIT_LITERAL_PATHSPECS": "0", "GIT_ICASE_PATHSPECS": "0"}

    def read(self, paths: list[str]) -> None:
        """Staged contents of `paths`, all in one `git cat-file --batch`."""
        wanted = [p for p in dict.fromkeys(paths) if p not in self._blobs and "\n" not in p]
        if not wanted:
            return
        for path in [p for p in wanted if self.diffed.get(p, "") is None]:
            self._blobs[path] = None  # the commit deletes it
            wanted.remove(path)
        if not wanted:
            return
        # What the commit changes by its blob id; the rest as REV holds it (HEAD holds what the
        # commit does not change): neither makes git read the index again.
        rev = self.rev
        query = "".join(f"{self.diffed.get(p) or f'{rev}:{p}'}\n" for p in wanted)
        data = self.git("cat-file", "--batch", input=query).raw
        position = 0
        for path in wanted:
            end = data.index(b"\n", position)
            header = data[position:end].split(b" ")
            position = end + 1
            if len(header) != 3 or header[1] != b"blob":
                self._blobs[path] = None
                continue
            size = int(header[2])
            self._blobs[path] = data[position : position + size].decode("utf-8", "surrogateescape")
            position += size + 1

    def show(self, path: str) -> str | None:
        self.read([path])
        return self._blobs.get(path)

    def check(self, path: str, doc: document.Document) -> list[Problem]:
        if path not in self._checked:
            self._checked[path] = check_document(doc, self, readings=self.readings)
        return self._checked[path]

    def listed(self, *paths: str) -> list[str]:
        return git.split_z(self.git("--literal-pathspecs", "ls-files", "-z", "--", *paths).stdout)

    def existing(self, paths: list[str]) -> set[str]:
        # What the commit stages is in the index: a path that proves is not asked of git (a
        # folder named, `.agents` say, would have git list every file under it).
        found = {path for path in paths if _holds(self.indexed, path)}
        asked = [path for path in paths if path not in found]
        # The handoff rule needs the list of handoffs next: one ls-files answers both.
        extra = (HANDOFFS,) if self._handoffs is None else ()
        files = self.listed(*asked, *extra) if asked or extra else []
        if extra:
            self._handoffs = [f for f in files if f.startswith(HANDOFFS) and f.endswith(".md")]
        listed = sorted(files)
        return found | {path for path in asked if _holds(listed, path)}

    def handoffs(self) -> list[str]:
        if self._handoffs is None:
            self._handoffs = [f for f in self.listed(HANDOFFS) if f.endswith(".md")]
        return self._handoffs

    def handoff_tasks(self) -> Iterator[tuple[str, str]]:
        """(path, task field) of each handoff this tree holds that can be read, newest first,
        read from git in growing batches as `handoffs.latest` asks for more."""
        paths = newest_first(self.handoffs())
        size = 16
        for path in paths:
            batch = [path]
            if path not in self._blobs:  # a handoff staged was read with the staged files
                batch += itertools.islice(paths, size - 1)
                self.read(batch)
                size *= 4
            for path in batch:
                doc = _read(self, path)
                if isinstance(doc, document.Document):
                    yield path, str(doc.fields.get("task") or "").strip()

    def handoff_findings(self, path: str) -> list[Problem]:
        doc = _read(self, path)
        if isinstance(doc, Problem):
            return [doc]
        return [] if doc is None else self.check(path, doc)

    def display_of(self, path: str) -> str:
        return path

    def handoff_document(self, path: str) -> document.Document | None:
        """The handoff at `path` as this tree holds it, parsed (None when unreadable)."""
        doc = _read(self, path)
        return doc if isinstance(doc, document.Document) else None

    def end_of(self, display: str) -> str | None:
        """A staged handoff ends with this commit; a committed one, with the last to touch it."""
        if display in self.staged:
            return None
        return (
            self.git("log", "-1", "--format=%H", "--", display, check=False).stdout.strip() or None
        )

    def changes(self, base: str, end: str | None = None) -> Changes | None:
        if (base, end) not in self._changes:
            found = None
            if not base.startswith("-"):
                target = (
                    ["--cached", f"{base}^{{commit}}"]
                    if end is None
                    else [f"{base}^{{commit}}", end]
                )
                # .agents/ is left out of Changes: git need not compare its thousands of files.
                result = self.git(
                    "diff", "--name-status", "--no-renames", "-z", *target, "--",
                    f":(top,exclude,literal){PREFIX}", check=False, env=self.magic_env,
                )  # fmt: skip
                found = parse_name_status(result.stdout) if result.returncode == 0 else None
            self._changes[base, end] = found
        return self._changes[base, end]

    def is_ancestor(self, base: str, end: str | None = None) -> bool:
        if (base, end) not in self._ancestor:
            result = self.git("merge-base", "--is-ancestor", base, end or "HEAD", check=False)
            self._ancestor[base, end] = result.returncode == 0
        return self._ancestor[base, end]

    def exist_as_tasks(self, ids: list[str]) -> None:
        """Learn in one call which of these task files are staged or committed."""
        self.read([f"{PREFIX}tasks/{task_id}.md" for task_id in ids])

    def task_exists(self, task_id: str) -> bool:
        return self.show(f"{PREFIX}tasks/{task_id}.md") is not None

    def task_outputs(self) -> list[str]:
        """Every task's outputs as this tree holds them (asked only when a handoff names a
        file to create that does not exist: then every task file is read)."""
        paths = [p for p in self.listed(PREFIX + "tasks/") if p.endswith(".md")]
        self.read(paths)
        found = []
        for path in paths:
            doc = _read(self, path)
            if isinstance(doc, document.Document):
                outputs = doc.fields.get("outputs")
                found += [str(o) for o in outputs] if isinstance(outputs, list) else []
        return found

    def shallow(self) -> bool:
        return is_shallow(self.root, self.env)

    def describe(self, base: str, end: str | None = None) -> str:
        if end:
            return (
                f"the diff from base {base[:12]} to commit {end[:12]} "
                "(the last to touch this handoff)"
            )
        return f"the staged diff from base {base[:12]}"


def staged_problems(cwd: Path) -> list[Problem]:
    env = hook_env()
    # git runs a hook at the top of the working tree; elsewhere, ask where that is.
    top = (
        cwd
        if (cwd / ".git").exists()
        else Path(git.run_bytes(["rev-parse", "--show-toplevel"], cwd, env=env).stdout.strip())
    )
    tree = Staged(top, env)
    raw = tree.git("diff", "--cached", "--raw", "--no-renames", "--no-abbrev", "-z").stdout
    tree.diffed = diffed(raw)
    tree.rev = "HEAD"  # what the diff does not name is in the index as HEAD holds it
    names = [path for path, blob in tree.diffed.items() if blob is not None]
    staged = [
        n for n in names if n.startswith(PREFIX) and n.endswith(".md") and not n.startswith(SKIPPED)
    ]
    if not staged:
        return []
    tree.staged = set(staged)
    tree.indexed = tuple(sorted(names))
    tree.read([PREFIX + "plan.md", *staged])
    settings = _settings(tree)
    problems: list[Problem] = []
    for path in staged:
        problems += _check_staged(tree, path, settings)
    if (top / AGENTS_DIR / ".cache").is_dir():  # a commit creates no folder of agentmd's
        tree.readings.save()
    return problems


def diffed(raw: str) -> dict[str, str | None]:
    """`git diff --raw --no-renames -z` output: path -> its new blob id, None when deleted."""
    items = raw.split("\0")
    found: dict[str, str | None] = {}
    for header, path in zip(items[::2], items[1::2], strict=False):
        parts = header.split(" ")
        if len(parts) == 5:  # ':mode mode old-id new-id status'
            found[path] = None if parts[4].startswith("D") else parts[3]
    return found


def _holds(listed: Sequence[str], path: str) -> bool:
    """Whether sorted `listed` holds `path` as a file, or as a folder with a file in it: looked
    up (bisect) rather than compared with each of thousands of files."""
    at = bisect.bisect_left(listed, path)
    if at < len(listed) and listed[at] == path:
        return True
    folder = path.rstrip("/") + "/"
    at = bisect.bisect_left(listed, folder)
    return at < len(listed) and listed[at].startswith(folder)


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
        return Problem(
            path, 1, 1, "not-utf8", "the staged file is not UTF-8", "save the file as UTF-8"
        )
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
    problems = fields.conflict_markers(doc.text, path)
    if doc.fm is not None:
        problems += fields.duplicate_keys(doc.fm, path)
    rel = path[len(PREFIX) :]
    lines = doc.key_lines
    if rel.startswith("tasks/"):
        if doc.fm is None:
            return problems + [
                Problem(
                    path,
                    1,
                    1,
                    "task-no-frontmatter",
                    "task file has no front matter",
                    "start it with '---', 'title: ...', 'status: todo', '---'",
                )
            ]
        deps = doc.fields.get("depends_on")
        tree.exist_as_tasks(
            [str(d) for d in deps] if isinstance(deps, list) else [str(deps)] if deps else []
        )
        problems += fields.check_task(
            path, doc.fields, lines, settings, fields.PathGuard(tree.root), tree.task_exists
        )
        status = str(doc.fields.get("status") or "").strip().lower()
        if status in ("review", "done"):
            from agentmd.tasks.provenance import done_in_source

            found = rule_problems(
                tree, rel[len("tasks/") : -3], status, path, lines.get("status", 1)
            )
            if done_in_source(doc.fields):  # imported as done: no handoff asked
                found = [p for p in found if p.code != "handoff-missing"]
            problems += found
    elif rel.startswith("handoffs/"):
        problems += tree.check(path, doc)
    elif rel == "plan.md":
        problems += fields.check_plan(path, doc.fields, lines)
    elif rel.startswith(("rules/", "memory/decisions/", "memory/gotchas/")):
        problems += fields.check_note(path, doc.fields, lines)
    return problems


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    hook = args[0] if args else "pre-commit"
    try:
        problems = staged_problems(Path.cwd())
    except (Exception, KeyboardInterrupt) as exc:  # noqa: BLE001 - the funnel reports each kind
        return error_output.report(exc, f"agentmd {hook} hook")
    problems = sorted(dict.fromkeys(problems), key=lambda p: (p.path, p.line, p.col, p.code))
    for problem in problems:
        print(problem.render(), file=sys.stderr)
    errors = sum(1 for p in problems if p.severity == "error")
    if errors:
        print(
            f"agentmd {hook} hook: commit refused: {errors} error(s) in the staged {AGENTS_DIR}/ "
            "files\n"
            "  hint: fix them and 'git add' them again ('git commit --no-verify' skips this check)",
            file=sys.stderr,
        )
        return 1
    return 0



class CommitTree(Staged):
    """A commit as the handoff checks see it (a `Tree`): what the loop merges is a branch's
    commit, not what its worktree holds besides."""

    def __init__(self, root: Path, commit: str, env: dict[str, str] | None = None):
        super().__init__(root, env if env is not None else git.clean_env())
        self.commit = self.git("rev-parse", "--verify", f"{commit}^{{commit}}").stdout.strip()
        self.rev = self.commit

    def listed(self, *paths: str) -> list[str]:
        out = self.git("--literal-pathspecs", "ls-tree", "-r", "--name-only", "-z", self.commit,
                       "--", *paths).stdout  # fmt: skip
        return git.split_z(out)

    def end_of(self, display: str) -> str | None:
        found = self.git("log", "-1", "--format=%H", self.commit, "--", display, check=False)
        return found.stdout.strip() or self.commit

    def changes(self, base: str, end: str | None = None) -> Changes | None:
        return super().changes(base, end or self.commit)

    def is_ancestor(self, base: str, end: str | None = None) -> bool:
        return super().is_ancestor(base, end or self.commit)

    def describe(self, base: str, end: str | None = None) -> str:
        return f"the diff from base {base[:12]} to commit {(end or self.commit)[:12]}"


if __name__ == "__main__":
    sys.exit(main())
