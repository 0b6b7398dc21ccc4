"""What each agent host loads when a session works on a path: its files, in its order, after
imports and nesting, with its caps. Each rule here cites its documentation in docs/hosts.md."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from agentmd.errors import LocatedError, Problem
from agentmd.files import frontmatter, globs
from agentmd.prompt.tokens import ESTIMATE, Counter
from agentmd.rules import imports
from agentmd.rules.markers import is_generated
from agentmd.rules.tree import Tree, ancestors, join

CODEX_MAX_BYTES = 32 * 1024  # project_doc_max_bytes' default
WINDSURF_MAX_CHARS = 6000  # per rules file


class Loaded(NamedTuple):
    path: str  # relative to the repository root
    why: str  # why the host loads it
    tokens: int
    size: int  # bytes of the whole file
    loaded_bytes: int  # bytes the host reads of it (less than size when it cuts)
    cut_line: int | None = None  # the line where the host stops reading


class Skipped(NamedTuple):
    path: str
    why: str


class Load(NamedTuple):
    host: str
    path: str  # the path the session works on
    files: list[Loaded]
    skipped: list[Skipped]

    @property
    def total(self) -> int:
        return sum(f.tokens for f in self.files)


class Host(NamedTuple):
    name: str
    title: str
    detect: Callable[[Tree], bool]
    load: Callable[[Tree, str, bool, Counter], Load]


class _Loader:
    """Collects one host's files for one path: each real file once, imports followed."""

    def __init__(self, tree: Tree, host: str, path: str, counter: Counter, follow: bool):
        self.tree = tree
        self.host = host
        self.path = path
        self.counter = counter
        self.follow = follow
        self.files: list[Loaded] = []
        self.skipped: list[Skipped] = []
        self.seen: dict[str, str] = {}  # a real file -> the name it was loaded by

    def add(self, rel: str, why: str, limit: int | None = None, hops: int = 0) -> int:
        """Load `rel` (at most `limit` bytes); the bytes read. A file already loaded (itself or
        through a symlink) is not paid for twice."""
        real = self.tree.real(rel)
        first = self.seen.get(real) or self.seen.get(rel)
        if first is not None:
            if first != rel:
                self.skipped.append(Skipped(rel, f"the same file as {first}, already loaded"))
            return 0
        text = self.tree.text(rel)
        if text is None:
            self.skipped.append(Skipped(rel, "cannot be read"))
            return 0
        self.seen.setdefault(real, rel)
        self.seen.setdefault(rel, rel)
        data = text.encode("utf-8")
        cut_line = None
        loaded = text
        if limit is not None and len(data) > limit:
            head = data[:limit]
            cut_line = head.count(b"\n") + 1
            loaded = head.decode("utf-8", "ignore")
        self.files.append(
            Loaded(rel, why, self.counter.count(loaded), len(data), len(loaded.encode()), cut_line)
        )
        if self.follow:
            self._imports(rel, loaded, hops)
        return len(loaded.encode())

    def _imports(self, rel: str, text: str, hops: int) -> None:
        for found in imports.imports_of(text, rel):
            if found.path is None:
                self.skipped.append(
                    Skipped(found.target, f"imported by {rel}:{found.line}, outside the repository")
                )
                continue
            if not self.tree.exists(found.path):
                continue  # not a file: the host leaves the text as it is
            if hops >= imports.MAX_HOPS:
                self.skipped.append(
                    Skipped(found.path, f"imported by {rel}:{found.line}, past five hops")
                )
                continue
            self.add(found.path, f"imported by {rel}:{found.line}", hops=hops + 1)

    def result(self) -> Load:
        return Load(self.host, self.path, self.files, self.skipped)


# -- front matter of the hosts' rule files ---------------------------------------------------


def fields_of(tree: Tree, rel: str) -> dict[str, Any] | None:
    """A rule file's front matter ({} without one); None when it does not parse (recorded)."""
    text = tree.text(rel)
    if text is None:
        return None
    try:
        return front_fields(text, rel)
    except LocatedError as exc:
        tree.problems[rel] = exc.problem
        return None


def front_fields(text: str, rel: str) -> dict[str, Any]:
    """The front matter's fields. Cursor reads .mdc front matter line by line, not as YAML
    (`globs: **/*.tsx` unquoted is the usual spelling), so an .mdc that YAML refuses is read
    the same way."""
    fm = frontmatter.split(text, rel)
    if fm is None:
        return {}
    try:
        return frontmatter.load(fm, rel)
    except LocatedError:
        if not rel.endswith(".mdc"):
            raise
        return _lines_of(fm.raw)


def _lines_of(raw: str) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for line in raw.splitlines():
        key, colon, value = line.partition(":")
        if not colon or not key.strip() or line[:1].isspace():
            continue
        value = value.strip()
        if len(value) > 1 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        fields[key.strip()] = {"true": True, "false": False}.get(value.lower(), value or None)
    return fields


def patterns(value: Any) -> list[str]:
    """Globs as hosts write them: a list, or one string of comma-separated globs."""
    if value is None:
        return []
    items = value if isinstance(value, list) else str(value).split(",")
    return [str(item).strip() for item in items if item is not None and str(item).strip()]


def matches_any(path: str, pattern_list: list[str], base: str = "") -> bool:
    for pattern in pattern_list:
        if pattern in ("**", "*", "**/*"):
            return True
        if globs.matches(path, join(base, pattern) if base else pattern):
            return True
    return False


def _is_file_path(tree: Tree, path: str) -> bool:
    return bool(path) and not path.endswith("/") and not (tree.root / path).is_dir()


def _agents_md(loader: _Loader, folders: list[str]) -> None:
    """AGENTS.md at the root and in each folder on the way to the path."""
    for folder in folders:
        name = join(folder, "AGENTS.md")
        if loader.tree.exists(name):
            loader.add(name, "at the root" if not folder else f"in {folder}/, on the way")


# -- the hosts -------------------------------------------------------------------------------


def _paths_rules(
    loader: _Loader, folder: str, suffixes: tuple[str, ...], path: str, always_only: bool
) -> None:
    """The rule files under `folder` scoped by a `paths:` list (Claude Code's and Cline's
    form): one without paths always loads, the others when `path` matches."""
    tree = loader.tree
    for rel in tree.under(folder):
        if not rel.endswith(suffixes):
            continue
        fields = fields_of(tree, rel)
        if fields is None:
            loader.skipped.append(Skipped(rel, "its front matter does not parse"))
            continue
        scope = patterns(fields.get("paths"))
        if not scope:
            loader.add(rel, "a rule without paths: always")
        elif not always_only and _is_file_path(tree, path) and matches_any(path, scope):
            loader.add(rel, f"paths {', '.join(scope)} match")


def load_codex(tree: Tree, path: str, always_only: bool, counter: Counter) -> Load:
    """Root down to the working folder, one file a folder (AGENTS.override.md first), one
    32 KiB budget for them all, spent root first: the deepest file is the one cut."""
    loader = _Loader(tree, "codex", path, counter, follow=False)
    remaining = CODEX_MAX_BYTES
    for folder in ancestors(tree.root, path):
        for name in ("AGENTS.override.md", "AGENTS.md"):
            rel = join(folder, name)
            text = tree.text(rel) if tree.exists(rel) else None
            if text is None or not text.strip():
                continue
            if remaining <= 0:
                loader.skipped.append(Skipped(rel, "past project_doc_max_bytes (32 KiB)"))
            else:
                why = "at the root" if not folder else f"in {folder}/, on the way down"
                remaining -= loader.add(rel, why, limit=remaining)
            break
    return loader.result()


def load_claude(tree: Tree, path: str, always_only: bool, counter: Counter) -> Load:
    """CLAUDE.md (and .claude/CLAUDE.md, CLAUDE.local.md) in each folder from the root down,
    @imports followed; .claude/rules/ always or by `paths`; AGENTS.md only when imported, or
    when the repository has nothing of Claude's at all."""
    loader = _Loader(tree, "claude", path, counter, follow=True)
    folders = ancestors(tree.root, path)
    own = [
        f
        for f in tree.files
        if f.rsplit("/", 1)[-1] in ("CLAUDE.md", "CLAUDE.local.md") or f.startswith(".claude/")
    ]
    for folder in folders:
        where = "at the root" if not folder else f"in {folder}/"
        for name in ("CLAUDE.md", ".claude/CLAUDE.md", "CLAUDE.local.md"):
            rel = join(folder, name)
            if tree.exists(rel):
                loader.add(rel, where)
        if not own and tree.exists(join(folder, "AGENTS.md")):
            loader.add(join(folder, "AGENTS.md"), f"{where}: no CLAUDE.md anywhere")
    _paths_rules(loader, ".claude/rules", (".md",), path, always_only)
    return loader.result()


def load_cursor(tree: Tree, path: str, always_only: bool, counter: Counter) -> Load:
    """`.cursor/rules/*.mdc` (root and nested folders): alwaysApply, or globs that match; the
    legacy .cursorrules; AGENTS.md at the root and in the folders on the way."""
    loader = _Loader(tree, "cursor", path, counter, follow=False)
    folders = ancestors(tree.root, path)
    if tree.exists(".cursorrules"):
        loader.add(".cursorrules", "the legacy .cursorrules: always")
    for folder in folders:
        for rel in tree.under(join(folder, ".cursor/rules")):
            if not rel.endswith(".mdc"):
                continue
            fields = fields_of(tree, rel)
            if fields is None:
                loader.skipped.append(Skipped(rel, "its front matter does not parse"))
                continue
            scope = patterns(fields.get("globs"))
            if fields.get("alwaysApply") is True:
                loader.add(rel, "alwaysApply: true")
            elif not always_only and _is_file_path(tree, path) and matches_any(path, scope, folder):
                loader.add(rel, f"globs {', '.join(scope)} match")
            elif not scope and fields.get("description"):
                loader.skipped.append(
                    Skipped(rel, "agent-requested: loaded only if the model asks")
                )
    _agents_md(loader, folders)
    return loader.result()


def load_copilot(tree: Tree, path: str, always_only: bool, counter: Counter) -> Load:
    """.github/copilot-instructions.md always; .github/instructions/**/*.instructions.md when
    applyTo matches; AGENTS.md at the root and in the folders on the way."""
    loader = _Loader(tree, "copilot", path, counter, follow=False)
    if tree.exists(".github/copilot-instructions.md"):
        loader.add(".github/copilot-instructions.md", "repository-wide: always")
    for rel in tree.under(".github/instructions"):
        if not rel.endswith(".instructions.md"):
            continue
        fields = fields_of(tree, rel)
        if fields is None:
            loader.skipped.append(Skipped(rel, "its front matter does not parse"))
            continue
        scope = patterns(fields.get("applyTo"))
        if any(p in ("**", "*", "**/*") for p in scope):
            loader.add(rel, f"applyTo {', '.join(scope)}: always")
        elif not always_only and _is_file_path(tree, path) and matches_any(path, scope):
            loader.add(rel, f"applyTo {', '.join(scope)} matches")
    _agents_md(loader, ancestors(tree.root, path))
    return loader.result()


def load_gemini(tree: Tree, path: str, always_only: bool, counter: Counter) -> Load:
    """GEMINI.md at the root and in each folder on the way (just in time), @imports followed."""
    loader = _Loader(tree, "gemini", path, counter, follow=True)
    for folder in ancestors(tree.root, path):
        rel = join(folder, "GEMINI.md")
        if tree.exists(rel):
            loader.add(rel, "at the root" if not folder else f"in {folder}/")
    return loader.result()


def load_windsurf(tree: Tree, path: str, always_only: bool, counter: Counter) -> Load:
    """.windsurf/rules/*.md by trigger (always_on, or glob that matches), the legacy
    .windsurfrules, each cut at 6,000 characters; AGENTS.md: the root's always, a folder's
    as a glob on that folder."""
    loader = _Loader(tree, "windsurf", path, counter, follow=False)
    if tree.exists(".windsurfrules"):
        loader.add(
            ".windsurfrules", "the legacy .windsurfrules: always", _cap(tree, ".windsurfrules")
        )
    for rel in tree.under(".windsurf/rules"):
        if not rel.endswith(".md"):
            continue
        fields = fields_of(tree, rel)
        if fields is None:
            loader.skipped.append(Skipped(rel, "its front matter does not parse"))
            continue
        trigger = str(fields.get("trigger", "")).strip()
        scope = patterns(fields.get("globs"))
        if trigger == "always_on":
            loader.add(rel, "trigger: always_on", _cap(tree, rel))
        elif (
            trigger == "glob"
            and not always_only
            and _is_file_path(tree, path)
            and matches_any(path, scope)
        ):
            loader.add(rel, f"trigger: glob, {', '.join(scope)} match", _cap(tree, rel))
    _agents_md(loader, ancestors(tree.root, path))
    return loader.result()


def _cap(tree: Tree, rel: str) -> int | None:
    """Windsurf cuts at 6,000 characters: the byte offset where that falls."""
    text = tree.text(rel) or ""
    return len(text[:WINDSURF_MAX_CHARS].encode()) if len(text) > WINDSURF_MAX_CHARS else None


def load_cline(tree: Tree, path: str, always_only: bool, counter: Counter) -> Load:
    """.clinerules (a file, or a folder of .md files: `paths` makes one conditional) and
    AGENTS.md at the root and in the folders on the way."""
    loader = _Loader(tree, "cline", path, counter, follow=False)
    if tree.exists(".clinerules"):
        loader.add(".clinerules", "the .clinerules file: always")
    _paths_rules(loader, ".clinerules", (".md", ".txt"), path, always_only)
    _agents_md(loader, ancestors(tree.root, path))
    return loader.result()


def _has(tree: Tree, test: Callable[[str], bool]) -> bool:
    return any(test(f) and not _generated(tree, f) for f in tree.files)


def _generated(tree: Tree, rel: str) -> bool:
    text = tree.text(rel)
    return text is not None and is_generated(text)


def _name(rel: str) -> str:
    return rel.rsplit("/", 1)[-1]


HOSTS: dict[str, Host] = {
    host.name: host
    for host in (
        Host(
            "claude",
            "Claude Code",
            lambda t: _has(t, lambda f: _name(f) == "CLAUDE.md" or f.startswith(".claude/rules/")),
            load_claude,
        ),
        Host(
            "codex",
            "Codex",
            lambda t: _has(t, lambda f: _name(f) in ("AGENTS.md", "AGENTS.override.md")),
            load_codex,
        ),
        Host(
            "cursor",
            "Cursor",
            lambda t: _has(t, lambda f: f == ".cursorrules" or "/.cursor/rules/" in f"/{f}"),
            load_cursor,
        ),
        Host(
            "copilot",
            "GitHub Copilot",
            lambda t: _has(
                t,
                lambda f: (
                    f == ".github/copilot-instructions.md" or f.startswith(".github/instructions/")
                ),
            ),
            load_copilot,
        ),
        Host(
            "gemini",
            "Gemini CLI",
            lambda t: _has(t, lambda f: _name(f) == "GEMINI.md"),
            load_gemini,
        ),
        Host(
            "windsurf",
            "Windsurf",
            lambda t: _has(t, lambda f: f == ".windsurfrules" or f.startswith(".windsurf/rules/")),
            load_windsurf,
        ),
        Host(
            "cline",
            "Cline",
            lambda t: _has(t, lambda f: f == ".clinerules" or f.startswith(".clinerules/")),
            load_cline,
        ),
    )
}
DEFAULT_HOSTS = ("codex",)  # AGENTS.md alone


def detected(tree: Tree) -> list[str]:
    """The hosts whose own files a person wrote are there, and those agentmd last built for
    (named in its generated files): so a build does not change what the next one detects."""
    from agentmd.rules.markers import generated_for

    built: set[str] = set()
    for rel in tree.files:
        if rel.endswith((".md", ".mdc")) or rel in (".clinerules", ".windsurfrules"):
            text = tree.text(rel) if _host_place(rel) else None
            if text is not None:
                built.update(generated_for(text))
    return [name for name, host in HOSTS.items() if name in built or host.detect(tree)]


def _host_place(rel: str) -> bool:
    name = rel.rsplit("/", 1)[-1]
    return (
        name in ("AGENTS.md", "CLAUDE.md", "GEMINI.md")
        or rel.startswith((".cursor/", ".github/", ".claude/", ".windsurf/", ".clinerules"))
        or "/.cursor/rules/" in rel
    )


def configured(settings_raw: dict[str, Any], tree: Tree, plan_display: str, line: int) -> list[str]:
    """plan.md's `hosts:`; else the hosts whose files exist; else AGENTS.md alone (codex)."""
    value = settings_raw.get("hosts")
    if value:
        names = [str(v).strip().lower() for v in (value if isinstance(value, list) else [value])]
        unknown = [n for n in names if n not in HOSTS]
        if unknown:
            from agentmd.checks.fields import did_you_mean

            guess = did_you_mean(unknown[0], HOSTS)
            raise LocatedError(
                Problem(
                    plan_display,
                    line,
                    1,
                    "unknown-host",
                    f"no host '{unknown[0]}' (hosts: {', '.join(HOSTS)})",
                    f"did you mean '{guess}'?" if guess else "use one of the names listed",
                )
            )
        return list(dict.fromkeys(names))
    return detected(tree) or list(DEFAULT_HOSTS)


def load(
    tree: Tree, host: str, path: str, counter: Counter = ESTIMATE, always_only: bool = False
) -> Load:
    """What `host` loads for a session working on `path` (relative to the root; "" is the
    root itself); `always_only` leaves out what only a matching file would bring in."""
    return HOSTS[host].load(tree, normal_path(path), always_only, counter)


def normal_path(path: str) -> str:
    path = path.replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    return "" if path in (".", "/") else path
