"""A unified diff cut to a token budget: the largest hunks summarised first, then dropped, each
change listed so the reader knows what it did not see."""

from __future__ import annotations

from dataclasses import dataclass, field

from agentmd.prompt.tokens import ESTIMATE, Counter


@dataclass
class Hunk:
    header: str  # the @@ line
    text: str  # the whole hunk, header included
    added: int
    removed: int
    tokens: int = 0
    state: str = "full"  # full | summary | dropped

    def summary(self) -> str:
        return (
            f"{self.header}\n[hunk summarised to fit the "
            f"budget: +{self.added} -{self.removed} lines, "
            f"~{self.tokens:,} tokens not shown]\n"
        )


@dataclass
class FileDiff:
    path: str
    head: str  # `diff --git` and the lines up to the first hunk
    hunks: list[Hunk] = field(default_factory=list)
    dropped: bool = False


@dataclass(frozen=True)
class BudgetedDiff:
    text: str
    tokens: int
    files: list[str]  # every file the full diff touches
    summarised: list[str]  # `path @@ ... @@ (+a -r)`, one per hunk shown as a summary
    dropped: list[str]  # hunks (and whole files) left out altogether

    @property
    def complete(self) -> bool:
        return not self.summarised and not self.dropped


def parse(diff: str) -> list[FileDiff]:
    files: list[FileDiff] = []
    current: FileDiff | None = None
    hunk: list[str] | None = None

    def close_hunk() -> None:
        if current is not None and hunk:
            body = hunk[1:]
            added = sum(1 for line in body if line.startswith("+"))
            removed = sum(1 for line in body if line.startswith("-"))
            current.hunks.append(Hunk(hunk[0].rstrip("\n"), "".join(hunk), added, removed))

    for line in diff.splitlines(keepends=True):
        if line.startswith("diff --git "):
            close_hunk()
            hunk = None
            current = FileDiff(_path_of(line), line)
            files.append(current)
        elif current is None:
            continue
        elif line.startswith("@@"):
            close_hunk()
            hunk = [line]
        elif hunk is not None:
            hunk.append(line)
        else:
            current.head += line
    close_hunk()
    return files


def _path_of(line: str) -> str:
    # `diff --git a/x b/x`: the b side is the file as it is now (renames included).
    rest = line[len("diff --git ") :].rstrip("\n")
    marker = rest.rfind(" b/")
    return rest[marker + 3 :] if marker >= 0 else rest


def fit(diff: str, budget: int, counter: Counter = ESTIMATE) -> BudgetedDiff:
    files = parse(diff)
    for f in files:
        for h in f.hunks:
            h.tokens = counter.count(h.text)
    head_cost = {id(f): counter.count(f.head) for f in files}

    def cost(h: Hunk) -> int:
        return {"full": h.tokens, "summary": counter.count(h.summary()), "dropped": 0}[h.state]

    total = sum(head_cost[id(f)] + sum(cost(h) for h in f.hunks) for f in files)
    summarised: list[str] = []
    dropped: list[str] = []
    by_size = sorted(((h, f) for f in files for h in f.hunks), key=lambda pair: -pair[0].tokens)
    for state, record in (("summary", summarised), ("dropped", dropped)):
        for h, f in by_size:
            if total <= budget:
                break
            if h.state == state or (state == "summary" and h.state != "full"):
                continue
            before = cost(h)
            h.state = state
            total += cost(h) - before
            name = f"{f.path} {h.header.split(' @@')[0]} @@ (+{h.added} -{h.removed})"
            if state == "dropped" and name in summarised:
                summarised.remove(name)
            record.append(name)
    for f in sorted(files, key=lambda f: -head_cost[id(f)]):
        if total <= budget:
            break
        f.dropped = True
        total -= head_cost[id(f)] + sum(cost(h) for h in f.hunks)
        dropped.append(f"{f.path} (the whole file)")
    text = "".join(_render(f) for f in files if not f.dropped)
    return BudgetedDiff(text, counter.count(text), [f.path for f in files], summarised, dropped)


def _render(f: FileDiff) -> str:
    out = [f.head]
    for h in f.hunks:
        if h.state == "full":
            out.append(h.text)
        elif h.state == "summary":
            out.append(h.summary())
    return "".join(out)
