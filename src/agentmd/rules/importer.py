"""`agentmd rules import`: the hosts' existing rule files read into .agents/rules/, scoping
kept, the same rule from several hosts merged into one, each rule's origin recorded; all or
nothing: one file refused (with its located reason) and nothing is written."""

from __future__ import annotations

import re
from typing import NamedTuple

from agentmd import AGENTS_DIR
from agentmd.errors import LocatedError, Problem
from agentmd.files import edit, frontmatter, globs, textfile
from agentmd.hosts import agents_block
from agentmd.rules import imports, markers
from agentmd.rules.build import _normal, host_files, own_text
from agentmd.rules.hosts import front_fields, patterns
from agentmd.rules.tree import Tree, folder_of, join
from agentmd.workspace.folder import Workspace

HEADING_RE = re.compile(r"^#{1,6}[ \t]+(.+?)[ \t#]*$", re.M)


class Found(NamedTuple):
    """One rule read from one host file."""

    origin: str
    name: str
    always: bool
    scope: tuple[str, ...]
    title: str
    body: str


class Outcome(NamedTuple):
    written: list[tuple[str, tuple[str, ...]]]  # (rule file under .agents/, its origins)
    notes: list[str]  # files left as they are, and why
    problems: list[Problem]


def discover(tree: Tree) -> list[str]:
    """The host files there are, agentmd's own generated ones and personal ones left out."""
    found = []
    for rel in host_files(tree):
        text = tree.text(rel)
        if text is not None and markers.is_generated(text):
            continue
        found.append(rel)
    for extra in (".cursorrules",):
        if tree.exists(extra):
            found.append(extra)
    return sorted(set(found))


def read_one(tree: Tree, rel: str) -> Found | str:
    """The rule `rel` holds, or why it holds none (a pointer that only imports others).
    Raises LocatedError when the file cannot be taken in."""
    text = textfile.read_text(tree.root / rel, rel)
    fm = frontmatter.split(text, rel)
    fields = front_fields(text, rel)
    lines = frontmatter.key_lines(fm) if fm else {}
    body = own_text(text).strip("\n")
    if not body.strip() and agents_block.span(text) is not None:
        return "holds only the workflow block 'agentmd setup' wrote"
    if not body.strip():
        raise LocatedError(
            Problem(
                rel,
                1,
                1,
                "rules-import-empty",
                "holds no rule text",
                "write the rule, or delete the file",
            )
        )
    words = [w for w in re.split(r"\s+", body.strip()) if w]
    found = imports.imports_of(body, rel)
    if found and all(w.startswith("@") for w in words):
        return f"only imports {', '.join(i.target for i in found)}"
    name = rel.rsplit("/", 1)[-1]
    folder = folder_of(rel)
    always, scope = _scope(rel, name, folder, fields, lines)
    title = fields.get("description")
    title = title.strip() if isinstance(title, str) and title.strip() else _title(body, rel)
    return Found(rel, _rule_name(rel), always, scope, title, body + "\n")


def _scope(
    rel: str, name: str, folder: str, fields: dict, lines: dict[str, int]
) -> tuple[bool, tuple[str, ...]]:
    if name in ("AGENTS.md", "AGENTS.override.md", "CLAUDE.md", "GEMINI.md"):
        if folder.endswith(".claude"):
            folder = folder_of(folder)
        return (True, ()) if not folder else (False, (f"{folder}/**",))
    if rel in (".cursorrules", ".windsurfrules", ".clinerules", ".github/copilot-instructions.md"):
        return True, ()
    if "/.cursor/rules/" in f"/{rel}" and rel.endswith(".mdc"):
        base = rel.partition(".cursor/rules/")[0].rstrip("/")
        if fields.get("alwaysApply") is True:
            return True, ()
        scope = patterns(fields.get("globs"))
        if scope:
            return False, tuple(join(base, p) if base else p for p in scope)
        _refuse(
            rel,
            lines.get("description", lines.get("alwaysApply", 1)),
            "rules-import-unscoped",
            "a Cursor rule neither always applied nor scoped by globs (agent-requested or "
            "manual) has no equivalent in .agents/rules/",
            "give it globs or alwaysApply: true, or move it out of .cursor/rules/",
        )
    if rel.startswith(".github/instructions/") and rel.endswith(".instructions.md"):
        scope = patterns(fields.get("applyTo"))
        if any(p in ("**", "*", "**/*") for p in scope):
            return True, ()
        if scope:
            return False, tuple(scope)
        _refuse(
            rel,
            1,
            "rules-import-unscoped",
            "an instructions file without applyTo is only attached by hand",
            'add applyTo: "**" (always) or the globs it is for',
        )
    if rel.startswith(".windsurf/rules/"):
        trigger = str(fields.get("trigger", "")).strip()
        if trigger == "always_on":
            return True, ()
        scope = patterns(fields.get("globs"))
        if trigger == "glob" and scope:
            return False, tuple(scope)
        _refuse(
            rel,
            lines.get("trigger", 1),
            "rules-import-unscoped",
            f"a Windsurf rule with trigger '{trigger or 'none'}' has no equivalent in "
            ".agents/rules/",
            "use trigger: always_on, or trigger: glob with globs",
        )
    if rel.startswith(".clinerules/") or rel.startswith(".claude/rules/"):
        scope = patterns(fields.get("paths"))
        return (False, tuple(scope)) if scope else (True, ())
    _refuse(
        rel,
        1,
        "rules-import-kind",
        "is not a file any supported host loads as rules",
        "import AGENTS.md, CLAUDE.md, GEMINI.md, .cursor/rules/*.mdc, Copilot, Windsurf or "
        "Cline rule files (docs/hosts.md)",
    )
    raise AssertionError("unreachable")


def _refuse(rel: str, line: int, code: str, message: str, hint: str) -> None:
    raise LocatedError(Problem(rel, line, 1, code, message, hint))


def _rule_name(rel: str) -> str:
    name = rel.rsplit("/", 1)[-1]
    for suffix in (".instructions.md", ".mdc", ".md"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    name = name.lstrip(".").lower()
    folder = folder_of(rel)
    if name in ("agents", "agents.override", "claude", "gemini") and folder:
        name = f"{folder.replace('/.claude', '').replace('/', '-')}-{name}"
    return re.sub(r"[^a-z0-9._-]+", "-", name).strip("-._") or "rule"


def _title(body: str, rel: str) -> str:
    match = HEADING_RE.search(body)
    return match.group(1).strip() if match else _rule_name(rel)


def run_import(
    ws: Workspace, tree: Tree, paths: list[str] | None = None, skipped: set[str] | None = None
) -> Outcome:
    """Read every host file (or the ones named), but those `skipped`, then write the rules, or
    nothing."""
    targets = [t for t in (discover(tree) if not paths else paths) if t not in (skipped or ())]
    found: list[Found] = []
    notes: list[str] = []
    problems: list[Problem] = []
    for rel in targets:
        if globs.escapes_repo(rel):
            problems.append(
                Problem(rel, 1, 1, "path-escapes", "is outside the repository", "name a file in it")
            )
            continue
        try:
            result = read_one(tree, rel)
        except LocatedError as exc:
            problems.append(exc.problem)
            continue
        if isinstance(result, str):
            notes.append(f"{rel}: {result}: left as it is")
        else:
            found.append(result)
    if problems:
        return Outcome([], notes, problems)
    merged = _merge(found)
    existing = {_normal(ws.read(n.path).body): n.path for n in ws.rules}
    planned: list[tuple[str, str, tuple[str, ...]]] = []
    taken = {n.path for n in ws.rules}
    for items in merged:
        first = items[0]
        if _normal(first.body) in existing:
            notes.append(
                f"{', '.join(i.origin for i in items)}: already in "
                f"{AGENTS_DIR}/{existing[_normal(first.body)]}"
            )
            continue
        rel = _free(f"rules/{first.name}.md", taken)
        taken.add(rel)
        planned.append((rel, _rule_text(items), tuple(i.origin for i in items)))
    created: list[str] = []
    for rel, text, _ in planned:
        if not textfile.create_exclusive(ws.agents / rel, text):
            for done in created:  # all or nothing: take back what this run wrote
                (ws.agents / done).unlink(missing_ok=True)
            problem = Problem(ws.display(rel), 1, 1, "exists", "appeared while importing")
            return Outcome([], notes, [problem])
        created.append(rel)
    return Outcome([(ws.display(rel), origins) for rel, _, origins in planned], notes, problems)


def _merge(found: list[Found]) -> list[list[Found]]:
    """The same words from several files are one rule: always if any is, else every scope."""
    groups: dict[str, list[Found]] = {}
    for item in found:
        groups.setdefault(_normal(item.body), []).append(item)
    return list(groups.values())


def _free(rel: str, taken: set[str]) -> str:
    stem = rel[: -len(".md")]
    candidate, n = rel, 2
    while candidate in taken:
        candidate, n = f"{stem}-{n}.md", n + 1
    return candidate


def _rule_text(items: list[Found]) -> str:
    always = any(i.always for i in items)
    scope = tuple(dict.fromkeys(p for i in items for p in i.scope))
    lines = ["---", f"title: {edit.double_quote(items[0].title)}"]
    if always:
        lines.append("always: true")
    else:
        lines.append("applies_to:")
        lines += [f"  - {edit.double_quote(p)}" for p in scope]
    lines.append("origin:")
    lines += [f"  - {edit.double_quote(i.origin)}" for i in items]
    lines.append("---")
    return "\n".join(lines) + "\n" + items[0].body
