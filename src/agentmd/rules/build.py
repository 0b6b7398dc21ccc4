"""`agentmd rules build`: .agents/rules/ written out as each configured host's own files.

Every rule reaches every host through exactly one file. Always-rules go to the root AGENTS.md
when a host reads it as its main file (Codex; Claude Code through CLAUDE.md's `@AGENTS.md`;
Gemini CLI through GEMINI.md's); the hosts that also read AGENTS.md (Cursor, Copilot, Windsurf,
Cline) then get nothing more for them. A scoped rule becomes the host's own scoping (Cursor
`globs`, Copilot `applyTo`, Claude `.claude/rules` `paths`, Windsurf `trigger: glob`, Cline
`paths`); when a host without scoping is configured (Codex, Gemini) it lands instead in the
AGENTS.md of the nearest folder its globs name, which the AGENTS.md readers load there.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable
from typing import NamedTuple

from agentmd import AGENTS_DIR
from agentmd.errors import Problem
from agentmd.files import edit, globs, textfile
from agentmd.hosts import agents_block
from agentmd.rules import imports, markers
from agentmd.rules.tree import Tree, join
from agentmd.workspace.folder import Workspace
from agentmd.workspace.records import Note, as_list

WHOLE_FILES = ("AGENTS.md", "CLAUDE.md", "GEMINI.md")  # and the ones below: a person may own it
SHARED_FILES = (".github/copilot-instructions.md", ".clinerules", ".windsurfrules")
HOST_PLACES = (".cursor/rules/", ".github/instructions/", ".claude/rules/", ".windsurf/rules/")
AGENTS_PRIMARY = ("codex", "claude", "gemini")
UNSCOPED = ("codex", "gemini")
GLOB_CHARS = frozenset("*?[{")


class Rule(NamedTuple):
    name: str  # the file stem, folders joined by '-'
    note: Note
    body: str  # the rule's Markdown, front matter left out, ending in one newline
    home: str  # the file its @imports are relative to: where it was imported from, else the root
    exists: Callable[[str], bool]  # is this a file of the repository (a real import's target)

    def body_at(self, rel: str) -> str:
        """The body as written into `rel`: its imports still naming the same files."""
        return imports.rebase(self.body, self.home, rel, self.exists)

    @property
    def scope(self) -> tuple[str, ...]:
        return () if self.note.always else self.note.applies_to


class Output(NamedTuple):
    path: str  # relative to the repository root
    front: str  # front matter lines (without the --- delimiters), "" for none
    body: str  # what agentmd writes: the whole body of its own file, or its block's content
    shared: bool  # a file a person may also write in (agentmd's part goes between markers)


class Change(NamedTuple):
    path: str
    old: str | None  # the file now (None: not there)
    new: str | None  # what it should be (None: removed)
    why: str

    def diff(self) -> str:
        lines = difflib.unified_diff(
            (self.old or "").splitlines(keepends=True),
            (self.new or "").splitlines(keepends=True),
            f"a/{self.path}" if self.old is not None else "/dev/null",
            f"b/{self.path}" if self.new is not None else "/dev/null",
        )
        return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


class Plan(NamedTuple):
    hosts: list[str]
    changes: list[Change]
    problems: list[Problem]
    outputs: list[Output]


def read_rules(ws: Workspace, tree: Tree) -> list[Rule]:
    """The rules that reach files: always, or with applies_to (tag-only rules reach tasks)."""
    rules = []
    for note in ws.rules:
        if not note.always and not note.applies_to:
            continue
        body = ws.read(note.path).body.strip("\n")
        name = note.path.removeprefix("rules/").removesuffix(".md").replace("/", "-")
        origins = as_list(note.record.fields.get("origin"))
        home = origins[0] if origins else "AGENTS.md"  # a rule written here: from the root
        rules.append(Rule(name, note, body + "\n" if body else "", home, tree.exists))
    return rules


def folder_for(tree: Tree, scope: tuple[str, ...]) -> str:
    """The deepest folder every glob stays inside, that exists: where its AGENTS.md goes."""
    folders = []
    for pattern in scope:
        parts = globs.normalise(pattern).split("/")
        literal = []
        for part in parts[:-1]:
            if GLOB_CHARS & set(part) or part == "**":
                break
            literal.append(part)
        folders.append(literal)
    common = os.path.commonprefix(folders) if folders else []
    while common and not (tree.root / "/".join(common)).is_dir():
        common = common[:-1]
    return "/".join(common)


def plan_outputs(tree: Tree, hosts: list[str], rules: list[Rule]) -> list[Output]:
    primary = any(h in hosts for h in AGENTS_PRIMARY)
    unscoped = any(h in hosts for h in UNSCOPED)
    placed: dict[str, list[Rule]] = {}
    native: list[Rule] = []
    for rule in rules:
        if primary and (rule.note.always or unscoped):
            folder = "" if rule.note.always else folder_for(tree, rule.scope)
            placed.setdefault(folder, []).append(rule)
        else:
            native.append(rule)
    outputs = [
        Output(join(folder, "AGENTS.md"), "", _sections(items, join(folder, "AGENTS.md")), True)
        for folder, items in sorted(placed.items())
    ]
    in_root = {r.name for r in placed.get("", [])}
    if "claude" in hosts and "" in placed:
        outputs.append(Output("CLAUDE.md", "", "@AGENTS.md\n", True))
    if "gemini" in hosts:
        outputs += [Output(join(f, "GEMINI.md"), "", "@AGENTS.md\n", True) for f in placed]
    for rule in rules:
        if "claude" in hosts and rule.scope and rule.name not in in_root:
            path = f".claude/rules/{rule.name}.md"
            outputs.append(Output(path, _yaml_list("paths", rule.scope), rule.body_at(path), False))
    outputs += _natives(tree, hosts, native)
    return sorted(outputs, key=lambda o: o.path)


def _natives(tree: Tree, hosts: list[str], rules: list[Rule]) -> list[Output]:
    outputs = []
    for rule in rules:
        title = edit.double_quote(rule.note.title)
        joined = edit.double_quote(", ".join(rule.scope))
        if "cursor" in hosts:
            front = (
                f"description: {title}\nalwaysApply: true"
                if not rule.scope
                else f"description: {title}\nglobs: {joined}\nalwaysApply: false"
            )
            path = f".cursor/rules/{rule.name}.mdc"
            outputs.append(Output(path, front, rule.body_at(path), False))
        if "copilot" in hosts and rule.scope:
            path = f".github/instructions/{rule.name}.instructions.md"
            apply_to = f"applyTo: {edit.double_quote(','.join(rule.scope))}"
            outputs.append(Output(path, apply_to, rule.body_at(path), False))
        if "windsurf" in hosts:
            front = "trigger: always_on" if not rule.scope else f"trigger: glob\nglobs: {joined}"
            path = f".windsurf/rules/{rule.name}.md"
            outputs.append(Output(path, front, rule.body_at(path), False))
        if "cline" in hosts and not (tree.root / ".clinerules").is_file():
            front = _yaml_list("paths", rule.scope) if rule.scope else ""
            path = f".clinerules/{rule.name}.md"
            outputs.append(Output(path, front, rule.body_at(path), False))
    always = [r for r in rules if not r.scope]
    if "copilot" in hosts and always:
        path = ".github/copilot-instructions.md"
        outputs.append(Output(path, "", _sections(always, path), True))
    if "cline" in hosts and rules and (tree.root / ".clinerules").is_file():
        outputs.append(Output(".clinerules", "", _sections(rules, ".clinerules"), True))
    return outputs


def _yaml_list(key: str, items: tuple[str, ...]) -> str:
    return f"{key}:\n" + "".join(f"  - {edit.double_quote(item)}\n" for item in items).rstrip("\n")


def _sections(rules: list[Rule], rel: str) -> str:
    """Rules one after another in one file; a scoped one says where it applies."""
    parts = []
    for rule in rules:
        text = rule.body_at(rel)
        if rule.scope:
            where = ", ".join(f"`{p}`" for p in rule.scope)
            text = f"Applies to {where}.\n\n{text}"
        if not rule.body.lstrip().startswith("#"):
            text = f"## {rule.note.title}\n\n{text}"
        parts.append(text.rstrip("\n") + "\n")
    return "\n".join(parts)


def generated_text(output: Output, hosts: list[str]) -> str:
    head = f"---\n{output.front}\n---\n" if output.front else ""
    digest = markers.content_digest(f"{head}{markers.generated(hosts)}\n\n{output.body}")
    return f"{head}{markers.generated(hosts, digest)}\n\n{output.body}"


def imported_bodies(ws: Workspace) -> dict[str, set[str]]:
    """For each file rules were imported from (their `origin`), the rule texts taken from it."""
    from agentmd.workspace.records import as_list

    taken: dict[str, set[str]] = {}
    for note in ws.rules:
        for origin in as_list(note.record.fields.get("origin")):
            taken.setdefault(origin, set()).add(_normal(ws.read(note.path).body))
    return taken


def own_text(text: str) -> str:
    """A host file's own words: front matter and agentmd's blocks left out (the rules block,
    and the workflow block `agentmd setup` writes into AGENTS.md)."""
    from agentmd.files import frontmatter

    rest = agents_block.outside(markers.outside(text))
    try:
        fm = frontmatter.split(rest, "")
    except Exception:
        fm = None
    return rest[fm.body_start :] if fm else rest


def _normal(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


def owned(rel: str, text: str, taken: dict[str, set[str]]) -> bool:
    """agentmd may rewrite or remove the file: it generated it, or every word of it was
    imported into .agents/rules/ (so nothing a person wrote is lost)."""
    if markers.is_generated(text):
        return True
    words = _normal(own_text(text))
    return bool(words) and words in taken.get(rel, set())


def host_files(tree: Tree) -> list[str]:
    """The files in the places where hosts look, whoever wrote them."""
    return [
        f
        for f in tree.files
        if f.rsplit("/", 1)[-1] in WHOLE_FILES
        or f in SHARED_FILES
        or f.startswith(HOST_PLACES)
        or f.startswith(".clinerules/")
    ]


def plan(ws: Workspace, tree: Tree, hosts: list[str], force: bool = False) -> Plan:
    """What a build writes. A generated file edited by hand since (its text is not what its
    marker's digest says was written) is left as it is and named, unless `force`."""
    rules = read_rules(ws, tree)
    outputs = plan_outputs(tree, hosts, rules)
    taken = imported_bodies(ws)
    changes: list[Change] = []
    problems: list[Problem] = []
    wanted = {o.path for o in outputs}
    for output in outputs:
        path = tree.root / output.path
        if path.is_symlink():
            real = tree.real(output.path)
            if real in wanted or real == output.path:
                continue  # it reads what agentmd writes to the file it points at
            problems.append(
                Problem(
                    output.path,
                    1,
                    1,
                    "rules-symlink",
                    f"is a symlink to {real}: agentmd does not write through it",
                    "replace the symlink with a file, or point it at a file agentmd writes",
                )
            )
            continue
        old = tree.text(output.path) if path.is_file() else None
        if path.exists() and old is None:
            problem = tree.problems.get(output.path)
            if isinstance(problem, Problem):
                problems.append(problem)
            continue
        if old is None or owned(output.path, old, taken):
            new = generated_text(output, hosts)
            if old is not None and not force and _loses_an_edit(old, new):
                problems.append(_hand_edited(output.path))
                continue
            if old is not None and agents_block.span(old) is not None:
                new = agents_block.written(new)  # setup's block stays, for setup to remove
            why = "new" if old is None else "out of date"
        elif output.shared and _imports_already(old, output.body):
            new = markers.outside(old)  # (a block of it would import the same file twice)
            new = new.rstrip("\n") + "\n" if new.endswith("\n\n") else new
            why = "its agentmd block is stale"
        elif output.shared:
            new = markers.with_block(old, output.body)
            why = "its agentmd block is out of date"
        else:
            problems.append(
                Problem(
                    output.path,
                    1,
                    1,
                    "rules-file-in-the-way",
                    "a file a person wrote is where agentmd would write a rule",
                    f"rename {AGENTS_DIR}/rules/{output.path.rsplit('/', 1)[-1]}'s rule, or run "
                    "'agentmd rules import' to take this file into .agents/rules/",
                )
            )
            continue
        if new != old:
            changes.append(Change(output.path, old, new, why))
    for rel in host_files(tree):
        if rel in wanted or (tree.root / rel).is_symlink():
            continue
        text = tree.text(rel)
        if text is None:
            continue
        if owned(rel, text, taken):
            if not force and markers.edited_by_hand(text):
                problems.append(_hand_edited(rel))
                continue
            left = agents_block.BLOCK if agents_block.span(text) is not None else None
            changes.append(Change(rel, text, left, "no rule produces it any more"))
        elif markers.block_span(text) is not None:
            changes.append(Change(rel, text, markers.outside(text), "its agentmd block is stale"))
    return Plan(hosts, sorted(changes), problems, outputs)


def _imports_already(text: str, body: str) -> bool:
    """The block would hold only `@file` imports that the person's own text has already (a
    CLAUDE.md that is `@AGENTS.md`)."""
    wanted = [line.strip() for line in body.splitlines() if line.strip()]
    if not wanted or not all(line.startswith("@") for line in wanted):
        return False
    own = {line.strip() for line in markers.outside(text).splitlines()}
    return all(line in own for line in wanted)


def _loses_an_edit(old: str, new: str) -> bool:
    """`old`, a generated file, was edited by hand since, and `new` does not hold the edit (a
    rule changed to say what the edit says is no loss)."""
    return markers.edited_by_hand(old) and markers.content_digest(new) != markers.content_digest(
        old
    )


def _hand_edited(rel: str) -> Problem:
    return Problem(
        rel,
        1,
        1,
        "rules-hand-edited",
        "edited by hand since `agentmd rules build` wrote it: a build would drop the edit, so "
        "it is left as it is",
        f"it is made from {AGENTS_DIR}/rules/: move the edit into the rule there, then build "
        "('agentmd rules build --force' drops the edit)",
    )


def apply(tree: Tree, changes: list[Change]) -> None:
    for change in changes:
        path = tree.root / change.path
        if change.new is None:
            path.unlink()
            _prune(tree, path.parent)
        else:
            textfile.atomic_write(path, change.new)


def _prune(tree: Tree, folder) -> None:
    """Remove the host folders (.cursor/rules/ and the like) a removed file leaves empty."""
    root = tree.root.resolve()
    while folder.is_dir() and not any(folder.iterdir()):
        rel = folder.resolve().relative_to(root).as_posix() + "/"
        if not rel.startswith((*HOST_PLACES, ".clinerules/", ".cursor/", ".claude/", ".windsurf/")):
            return
        folder.rmdir()
        folder = folder.parent
