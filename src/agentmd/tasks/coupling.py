"""Files that change together in git history (logical coupling), cached per HEAD commit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path

from agentmd import AGENTS_DIR, git
from agentmd.files import cachefile, globs
from agentmd.workspace.folder import CACHE_DIR, Workspace
from agentmd.workspace.records import Settings

# A commit that touches more files than this is a bulk change (an import, a reformat, a
# rename sweep): it says nothing about which files belong together, and its pairs grow as n².
MAX_CHANGESET = 30
CACHE_FILE = "coupling.json"
DEFAULT_WINDOW = 500
DEFAULT_MIN = 3


@dataclass(frozen=True)
class Coupling:
    """For each file, the files that changed in the same commit at least `min_count` times."""

    partners: dict[str, dict[str, int]] = field(default_factory=dict)
    window: int = DEFAULT_WINDOW
    min_count: int = DEFAULT_MIN

    def files_of(self, patterns: Sequence[str]) -> list[str]:
        """The coupled files that `patterns` (a task's outputs) cover."""
        return sorted(
            f for f in self.partners if any(globs.matches(f, p, rooted=True) for p in patterns)
        )

    def between(self, files_a: list[str], files_b: list[str]) -> tuple[str, str, int] | None:
        """The most strongly coupled pair, one file from each side, and how often they changed
        together (the first by name of equals)."""
        wanted = set(files_b)
        best: tuple[str, str, int] | None = None
        for a in files_a:
            for b, count in sorted(self.partners[a].items()):
                if b in wanted and (best is None or count > best[2]):
                    best = (a, b, count)
        return best


def settings_of(settings: Settings) -> tuple[int, int]:
    """`coupling_window` (commits; 0 turns coupling off) and `coupling_min` from plan.md."""
    raw = settings.raw

    def whole(key: str, default: int, low: int) -> int:
        value = raw.get(key, default)
        return (
            value
            if isinstance(value, int) and not isinstance(value, bool) and value >= low
            else default
        )

    return whole("coupling_window", DEFAULT_WINDOW, 0), whole("coupling_min", DEFAULT_MIN, 1)


def load(ws: Workspace) -> Coupling:
    """The coupling of the last `coupling_window` commits that touch a file outside .agents/
    (the plan's own commits, a loop's claims above all, say nothing of which files belong
    together); empty outside git or when turned off."""
    window, min_count = settings_of(ws.settings)
    if window == 0:
        return Coupling({}, window, min_count)
    commit = git.head(ws.root)
    if commit is None:
        return Coupling({}, window, min_count)
    key = f"{commit} {window} {min_count} {MAX_CHANGESET} code-only"
    cache = ws.agents / CACHE_DIR / CACHE_FILE
    cached = _read(cache, key)
    if cached is not None:
        return Coupling(cached, window, min_count)
    log = git.out(
        ["log", "-z", "--no-renames", "--name-only", "--format=%x01", f"-n{window}", commit,
         "--", f":(exclude){AGENTS_DIR}"],
        ws.root,
    )  # fmt: skip
    partners = count_pairs(changesets(log), min_count)
    _write(cache, key, partners)
    return Coupling(partners, window, min_count)


def changesets(log: str) -> list[list[str]]:
    """The files of each commit in `git log -z --name-only --format=%x01` output."""
    sets = []
    for chunk in log.split("\x01"):
        files = [name.lstrip("\n") for name in git.split_z(chunk)]
        files = [f for f in files if f and not f.startswith(AGENTS_DIR + "/")]
        if files:
            sets.append(files)
    return sets


def count_pairs(sets: list[list[str]], min_count: int) -> dict[str, dict[str, int]]:
    counts: dict[tuple[str, str], int] = {}
    for files in sets:
        unique = sorted(set(files))
        if len(unique) > MAX_CHANGESET:
            continue
        for pair in combinations(unique, 2):
            counts[pair] = counts.get(pair, 0) + 1
    partners: dict[str, dict[str, int]] = {}
    for (a, b), count in counts.items():
        if count >= min_count:
            partners.setdefault(a, {})[b] = count
            partners.setdefault(b, {})[a] = count
    return partners


def _read(path: Path, key: str) -> dict[str, dict[str, int]] | None:
    data = cachefile.read(path)
    if data.get("key") != key or not isinstance(data.get("partners"), dict):
        return None
    return data["partners"]


def _write(path: Path, key: str, partners: dict[str, dict[str, int]]) -> None:
    cachefile.write(path, {"key": key, "partners": partners})
