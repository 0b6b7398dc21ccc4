"""What `check` says of the hosts' loads: where a host cuts a file (an error, at the line) and
where its always-loaded files go over `rules_budget` (a warning, each file's cost named)."""

from __future__ import annotations

from pathlib import Path

from agentmd.errors import LocatedError, Problem
from agentmd.prompt.tokens import Counter
from agentmd.rules import hosts
from agentmd.rules.build import host_files
from agentmd.rules.tree import Tree, folder_of
from agentmd.workspace.folder import Workspace

ALREADY_CHECKED = ("AGENTS.md", "CLAUDE.md")  # their read errors are reported by the passes


def configured_hosts(ws: Workspace, tree: Tree) -> list[str]:
    plan = ws.index.plan
    line = plan.line("hosts") if plan else 1
    return hosts.configured(ws.settings.raw, tree, ws.display("plan.md"), line)


def host_problems(ws: Workspace, counter: Counter, tree: Tree | None = None) -> list[Problem]:
    tree = tree or Tree(ws.root)
    try:
        names = configured_hosts(ws, tree)
    except LocatedError as exc:
        return [exc.problem]
    budget = ws.settings.rules_budget
    places = host_files(tree) + [".cursorrules"] * tree.exists(".cursorrules")
    folders = sorted({_folder(p) for p in places} | {""}, key=lambda f: (f.count("/"), f))
    problems: list[Problem] = []
    cuts: set[tuple[str, int]] = set()
    for name in names:
        over_at: list[str] = []
        for folder in folders:
            load = hosts.load(tree, name, f"{folder}/" if folder else "", counter, True)
            for item in load.files:
                if item.cut_line is not None and (item.path, item.cut_line) not in cuts:
                    cuts.add((item.path, item.cut_line))
                    problems.append(_cut(name, item, load))
            if load.total <= budget or any(_under(folder, o) for o in over_at):
                continue
            if all(f.path.rsplit("/", 1)[-1] in ALREADY_CHECKED for f in load.files):
                continue  # the always-loaded-budget finding names these files already
            over_at.append(folder)
            problems.append(_over(name, folder, load, budget))
    for rel, problem in sorted(tree.problems.items()):
        if rel.rsplit("/", 1)[-1] not in ALREADY_CHECKED and isinstance(problem, Problem):
            problems.append(problem)
    return problems


def _folder(rel: str) -> str:
    folder = folder_of(rel)
    for place in ("/.cursor/rules", ".cursor/rules"):
        if place in folder:
            return folder.partition(place)[0].rstrip("/")
    return "" if folder.startswith((".github", ".claude", ".windsurf", ".clinerules")) else folder


def _under(folder: str, parent: str) -> bool:
    return parent == "" or folder == parent or folder.startswith(parent + "/")


def _cut(name: str, item: hosts.Loaded, load: hosts.Load) -> Problem:
    title = hosts.HOSTS[name].title
    if name == "codex":
        chain = sum(f.size for f in load.files)
        message = (
            f"{title} stops reading here: the AGENTS.md files it loads come to {chain:,} bytes, "
            f"over its project_doc_max_bytes of {hosts.CODEX_MAX_BYTES:,} (32 KiB); from this "
            f"line on ({item.size - item.loaded_bytes:,} bytes) nothing reaches it"
        )
        hint = (
            "move detail into scoped rules (.agents/rules/ with applies_to, then "
            "'agentmd rules build'), or raise project_doc_max_bytes in .codex/config.toml"
        )
    else:
        message = (
            f"{title} reads the first {hosts.WINDSURF_MAX_CHARS:,} characters of a rules file: "
            f"from this line on ({item.size - item.loaded_bytes:,} bytes) nothing reaches it"
        )
        hint = "split it into several rules files, or scope parts of it with globs"
    return Problem(item.path, item.cut_line or 1, 1, "host-cut", message, hint)


def _over(name: str, folder: str, load: hosts.Load, budget: int) -> Problem:
    where = f"in {folder}/" if folder else "at the repository root"
    detail = "; ".join(f"{f.path} {f.tokens:,}" for f in load.files)
    here = [f.path for f in load.files if folder_of(f.path) == folder] or [load.files[0].path]
    biggest = max(load.files, key=lambda f: f.tokens)
    hint = (
        "move detail into scoped rules (.agents/rules/ with applies_to), or raise rules_budget "
        "in .agents/plan.md"
    )
    if biggest.why.startswith("imported by ") and biggest.tokens * 2 > load.total:
        hint = (
            f"most of it is {biggest.path} ({biggest.tokens:,}), {biggest.why}: a Markdown "
            f"link to it instead of the @ import keeps it out of every session"
        )
    return Problem(
        here[0],
        1,
        1,
        "host-budget",
        f"{hosts.HOSTS[name].title} loads {load.total:,} tokens of always-loaded files {where}, "
        f"over rules_budget {budget:,} ({detail})",
        hint,
        severity="warning",
    )


def without_built_rules(ws: Workspace, files: list[tuple[str, Path]]) -> list[tuple[str, Path]]:
    """The always-loaded files less .agents/rules/' always-rules once `rules build` has put them
    into the hosts' files (a generated file, or a managed block, is there): counted once, where
    the hosts read them."""
    from agentmd import AGENTS_DIR
    from agentmd.rules import markers

    built = False
    for display, path in files:
        if display.startswith(AGENTS_DIR + "/"):
            continue
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if markers.is_generated(text) or markers.block_span(text) is not None:
            built = True
            break
    if not built:
        return files
    return [(d, p) for d, p in files if not d.startswith(f"{AGENTS_DIR}/rules/")]


def cuts_after(
    ws: Workspace, tree: Tree, changes: list, outputs: set[str], counter: Counter
) -> list[Problem]:
    """Where a host would cut the files a build makes (`outputs`, once `changes` are applied
    to `tree`): `rules build` says so as it writes them, as `check` would after."""
    written = {c.path for c in changes if c.new is not None}
    after = tree.after({c.path: c.new for c in changes})
    return [
        p
        for p in host_problems(ws, counter, after)
        if p.code == "host-cut" and p.path in outputs | written
    ]
