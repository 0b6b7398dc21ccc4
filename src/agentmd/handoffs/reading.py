"""What a handoff's text says, whatever the repository holds: its sections and whether each is
filled, vague wording, the paths it names and lists under Artifacts. Working that out (Markdown
structure above all) is the slow part of a check, so it is done once per content and kept in
.agents/.cache/; judge.py holds the reading against git and the disk."""

from __future__ import annotations

import json
import posixpath
import re
from pathlib import Path
from typing import NamedTuple

from agentmd.errors import Problem
from agentmd.files import cachefile, textfile
from agentmd.files.document import Document
from agentmd.handoffs.names import PROMPTS, SECTIONS, sections_of
from agentmd.workspace.records import HANDOFF_STATUSES

READINGS = ".cache/handoff-readings"  # under .agents/: one JSON file per shard
READING_FORMAT = 8  # bump when what a reading holds, or how it is found, changes
MAX_SUMMARY_SENTENCES = 4
NONE_RE = re.compile(r"(?:none|n/?a|nothing|-|nil)\.?\Z", re.I)
NONE_ALLOWED = ("Gotchas", "Lessons")  # and Remaining when the handoff's status is done
# Compiled where it is used, on a handoff's first reading: the hook, which finds the readings
# kept, never pays for compiling it.
VAGUE = (  # (none inside a path: etc/app.ini, docs/stuff.md)
    r"(?<![/.\-])\b(?:some (?:issues|problems|changes|fixes|stuff|tweaks)|various "
    r"(?:fixes|changes|issues|improvements|things)"
    r"|misc(?:ellaneous)? (?:fixes|changes)|minor "
    r"(?:fixes|changes|tweaks)|small fixes|a few (?:things|fixes|changes)"
    r"|etc\b\.?|and so on|and more|should (?:work|be fine|be ok)|probably works|seems to work"
    r"|as discussed|as mentioned(?: earlier| before)?|tbd|fixed (?:bugs|stuff|things)|stuff"
    r"|(?:finish|do|complete) the rest|made it work|did the work)(?![\w/-]|\.\w)"
)
CODE_SPAN_RE = re.compile(r"(`+)(.+?)\1")
FENCE_RE = re.compile(r"[ ]{0,3}(`{3,}|~{3,})")
ITEM_RE = re.compile(r"\s*(?:[-*+]|\d+[.)])\s+(?:\[[ xX]\]\s+)?(.*)")
ABBREVIATIONS_RE = re.compile(r"\b(?:e\.g|i\.e|etc|vs|cf)\.", re.I)
SENTENCE_END_RE = re.compile(r"[.!?](?=\s|\Z)")
PATH_RE = re.compile(r"[\w.\-/]+")
EXTENSIONS = frozenset(
    "py pyi ts tsx js jsx mjs cjs md mdx toml json jsonc yaml yml txt cfg ini sh bash zsh rs "
    "go java kt c h cc cpp hpp cs rb php swift sql html css scss vue svelte lock env xml csv "
    "proto tf mdc rst adoc ipynb".split()
)


class Reading(NamedTuple):
    """What a handoff's text says; `Readings` keeps it by content between runs."""

    problems: tuple[Problem, ...]  # completeness and wording
    # line of an Artifacts section that says "None" (true only if the diff is empty), else 0
    artifacts_none: int
    artifacts_line: int  # line of the Artifacts heading, 0 without one
    artifacts: tuple[tuple[int, str], ...]  # (line, path) of each entry under Artifacts
    named: tuple[tuple[str, int, int], ...]  # (path, line, col) of each path it names
    # Completed items naming nothing concrete unless one of their words is a file of the tree
    # or the diff (`CHANGES.rst`, `Makefile`): (line, col, words); judged against the tree
    plain_items: tuple[tuple[int, int, tuple[str, ...]], ...] = ()
    # (path, line, col) of each path Remaining and Next action name: files the work may still
    # create, so one that does not exist must be among some task's outputs (judge.py)
    planned: tuple[tuple[str, int, int], ...] = ()


def read_handoff(doc: Document, lenient: bool) -> Reading:
    severity = "warning" if lenient else "error"
    problems: list[Problem] = []

    def add(line: int, col: int, code: str, message: str, hint: str = "", level: str = "") -> None:
        problems.append(Problem(doc.display, line, col, code, message, hint, level or severity))

    if not lenient:
        _front_matter(doc, add)
    found = sections_of(doc)
    lines = list(_body_lines(doc))
    status = str(doc.fields.get("status") or "").strip().lower()
    artifacts_none = _completeness(doc, found, status, add, lenient)
    _vague(lines, add)
    plain_items = _items(lines, found, add) if not lenient else []
    outside: list[tuple[int, str]] = []
    artifacts = artifact_items(lines, found["Artifacts"], outside) if "Artifacts" in found else []
    for line, path in outside:
        add(
            line,
            1,
            "handoff-artifact-outside",
            f"Artifacts lists '{path}', which is outside the repository: no diff of the work "
            "holds it",
            "list the files the work changed, by their paths from the repository's root",
        )
    named = [] if lenient else _named_paths(lines, found, artifacts)
    planned = [] if lenient else _named_paths(lines, found, [], future=True)
    artifacts_line = found["Artifacts"].line if "Artifacts" in found else 0
    return Reading(
        tuple(problems),
        artifacts_none,
        artifacts_line,
        tuple(artifacts),
        tuple(named),
        tuple(plain_items),
        tuple(planned),
    )


class Readings:
    """Readings of handoffs by content (text, path and mode), kept in .agents/.cache/ between
    runs when `folder` is given: a cache, so losing it costs time, never a finding. Kept in 16
    files by the first digit of the content's blob id, so that the commit hook, which looks up
    one or two, reads 1/16 of what `check` keeps."""

    def __init__(self, folder: Path | None):
        self.folder = folder
        # shard -> its entries as loaded: each reading as its JSON text, decoded when recalled
        # (3,000 readings held as text are a third of their lists' memory)
        self._shards: dict[str, dict[str, str]] = {}
        self._used: dict[str, str] = {}
        self._settled: set[str] = set()  # the shards saved and let go (`settle`)

    def get(self, doc: Document, lenient: bool) -> Reading:
        digest = textfile.digest(doc.text)
        reading = self.recall(doc.display, digest, lenient)
        if reading is None:
            reading = read_handoff(doc, lenient)
            self._used[_key(doc.display, digest, lenient)] = json.dumps(
                _encode(reading), ensure_ascii=False, separators=(",", ":")
            )
        return reading

    def recall(self, display: str, digest: str, lenient: bool = False) -> Reading | None:
        """The reading of the text with this digest at this path, if one was kept."""
        key = _key(display, digest, lenient)
        hit = self._shard(_shard_of(key)).get(key)
        if hit is None:
            return None
        try:
            reading = _decode(display, json.loads(hit))
        except (TypeError, ValueError):
            return None
        self._used[key] = hit
        return reading

    def _shard(self, shard: str) -> dict[str, str]:
        if shard not in self._shards:
            self._shards[shard] = (
                cachefile.load(self.folder / f"{shard}.json", READING_FORMAT)
                if self.folder
                else {}
            )
        return self._shards[shard]

    def save(self, *, prune: bool = False) -> None:
        """Keep what this run read for the next; `prune` when this run read every handoff there
        is, so that readings of old contents go."""
        if self.folder is None:
            return
        by_shard: dict[str, dict[str, str]] = {}
        for key, entry in self._used.items():
            by_shard.setdefault(_shard_of(key), {})[key] = entry
        for shard in SHARDS if prune else sorted(by_shard):
            if shard in self._settled:  # pruned when settled: what was read since is added
                if shard in by_shard:
                    self._write(shard, by_shard[shard], prune=False)
            else:
                self._write(shard, by_shard.get(shard, {}), prune)
            self._shards.pop(shard, None)  # read again from its file, if asked again

    def settle(self, shard: str, *, prune: bool) -> None:
        """`save` for one shard, which is then let go: a check that takes its 3,000 handoffs a
        shard at a time holds one shard's readings, not all 16 (1.5 MB of its peak)."""
        if self.folder is None:
            return
        used = {key: entry for key, entry in self._used.items() if _shard_of(key) == shard}
        self._write(shard, used, prune)
        for key in used:
            del self._used[key]
        self._shards.pop(shard, None)
        self._settled.add(shard)

    def _write(self, shard: str, used: dict[str, str], prune: bool) -> None:
        if not prune and not used:
            return  # nothing read from it, nothing to add: its file is not even loaded
        entries = self._shard(shard)
        if prune:
            if used.keys() == entries.keys():
                return
            kept = used
        elif used.keys() <= entries.keys():
            return
        else:
            kept = {**entries, **used}
        assert self.folder is not None
        cachefile.save(self.folder / f"{shard}.json", READING_FORMAT, kept)


SHARDS = "0123456789abcdef"


def _shard_of(key: str) -> str:
    return key[2]  # the first digit of the blob id: keys are `_key`'s "lenient digest path"


def _key(display: str, digest: str, lenient: bool) -> str:
    return f"{int(lenient)} {digest} {display}"


def _encode(reading: Reading) -> list:
    problems = [[p.line, p.col, p.code, p.message, p.hint, p.severity] for p in reading.problems]
    return [
        problems,
        reading.artifacts_none,
        reading.artifacts_line,
        reading.artifacts,
        reading.named,
        reading.plain_items,
        reading.planned,
    ]


def _decode(display: str, data: list) -> Reading:
    problems, artifacts_none, artifacts_line, artifacts, named, plain, planned = data
    # An empty part (most are, in most handoffs) is the one empty tuple: 3,000 readings decoded
    # by a check build no generator for it
    return Reading(
        tuple(Problem(display, *p) for p in problems) if problems else (),
        int(artifacts_none),
        int(artifacts_line),
        tuple((int(line), str(path)) for line, path in artifacts) if artifacts else (),
        tuple((str(path), int(line), int(col)) for path, line, col in named) if named else (),
        tuple((int(line), int(col), tuple(str(w) for w in words)) for line, col, words in plain)
        if plain
        else (),
        tuple((str(path), int(line), int(col)) for path, line, col in planned) if planned else (),
    )


def _front_matter(doc: Document, add) -> None:
    if doc.fm is None:
        add(
            1,
            1,
            "handoff-frontmatter-missing",
            "the handoff has no front matter",
            "start it with '---', 'task: ID', 'status: "
            "done|partial|blocked|failed', 'base: COMMIT', '---'",
        )
        return
    fields = doc.fields
    if not str(fields.get("task") or "").strip():
        add(
            doc.line_of("task"),
            1,
            "handoff-task-missing",
            "the handoff names no task",
            "add 'task: ID'",
        )
    status = str(fields.get("status") or "").strip()
    if status.lower() not in HANDOFF_STATUSES:
        what = (
            f"status '{status}' is not one of"
            if status
            else "the handoff has no status: use one of"
        )
        add(
            doc.line_of("status"),
            1,
            "handoff-status",
            f"{what} {', '.join(HANDOFF_STATUSES)}",
            "status says how the session ended",
        )
    if not str(fields.get("base") or "").strip():
        add(
            doc.line_of("base"),
            1,
            "handoff-base-missing",
            "no base commit: Artifacts cannot be compared with the diff, and named paths that are "
            "missing cannot be told from deleted ones",
            "add 'base: COMMIT', the commit the session started from (the task's base)",
            "warning",
        )


def _completeness(doc, found, status, add, lenient) -> int:
    """Adds what is missing, empty or unfilled; returns the line of an Artifacts section that
    says "None", which only the diff can tell true or not (0 when there is none)."""
    artifacts_none = 0
    missing = [name for name in SECTIONS if name not in found]
    if lenient and len(missing) == len(SECTIONS):
        add(
            doc.body_line,
            1,
            "handoff-no-sections",
            "no handoff sections found (Summary, Completed, Next action, ...)",
            "a handoff has the sections of the template: agentmd handoff new writes one",
        )
        return 0
    for name in missing:
        add(
            doc.body_line,
            1,
            "handoff-section-missing",
            f"section '{name}' is missing",
            f"add '## {name}'"
            + (f": {PROMPTS[name][0].lower()}{PROMPTS[name][1:]}" if name in PROMPTS else ""),
        )
    for name, section in found.items():
        text = re.sub(r"<!--.*?-->", "", section.full, flags=re.S).strip()
        if not text:
            add(
                section.line,
                1,
                "handoff-section-empty",
                f"section '{name}' is empty",
                PROMPTS.get(name, "fill it"),
            )
        elif name in PROMPTS and text == PROMPTS[name]:
            add(
                section.line + 1,
                1,
                "handoff-section-unfilled",
                f"section '{name}' still holds the template's prompt",
                PROMPTS[name],
            )
        elif NONE_RE.match(text):
            if name == "Artifacts":
                artifacts_none = section.line
            elif not (name in NONE_ALLOWED or (name == "Remaining" and status == "done")):
                why = "while the status is not done" if name == "Remaining" else "here"
                add(
                    section.line,
                    1,
                    "handoff-none",
                    f"'None' is not a true answer for '{name}' {why}",
                    _NONE_HINTS.get(name, "say what happened, concretely"),
                )
    summary = found.get("Summary")
    if summary is not None:
        plain = ABBREVIATIONS_RE.sub("", CODE_SPAN_RE.sub("code", summary.full))
        count = len(SENTENCE_END_RE.findall(plain))
        if count > MAX_SUMMARY_SENTENCES:
            add(
                summary.line,
                1,
                "handoff-summary-long",
                f"the summary has {count} sentences; at most "
                f"{MAX_SUMMARY_SENTENCES} keep it a summary",
                "move details to Completed, Decisions or Gotchas",
            )
    return artifacts_none


def none_artifacts(line: int) -> tuple[int, int, str, str, str]:
    return (
        line,
        1,
        "handoff-none",
        "'None' is not a true answer for 'Artifacts' here",
        _NONE_HINTS["Artifacts"],
    )


_NONE_HINTS = {
    "Remaining": "list what is left, each item actionable; 'None' only when the status is done",
    "Decisions": "write the decisions taken and why; choosing the obvious path is a decision too",
    "Artifacts": "list the files the diff changed ('None' only when it changed nothing)",
    "Next action": "name the one thing the next session does first",
    "Verification": "list the commands run and their results",
}


def _body_lines(doc: Document):
    """(file line, text with code spans blanked, code spans) for each line outside fenced code."""
    fence = ""
    for offset, line in enumerate(doc.body.split("\n")):
        match = FENCE_RE.match(line)
        if match:
            marker = match.group(1)
            if not fence:
                fence = marker
            elif marker[0] == fence[0] and len(marker) >= len(fence):
                fence = ""
            continue
        if fence:
            continue
        spans = [(m.start(2), m.group(2)) for m in CODE_SPAN_RE.finditer(line)]
        blanked = CODE_SPAN_RE.sub(lambda m: " " * len(m.group(0)), line)
        yield doc.body_line + offset, blanked, spans


def _vague(lines, add) -> None:
    vague = re.compile(VAGUE, re.I)  # once per process: re keeps what it compiled
    for line_no, text, _ in lines:
        if text.lstrip().startswith("#"):
            continue
        for match in vague.finditer(text):
            add(
                line_no,
                match.start() + 1,
                "handoff-vague",
                f"vague: '{match.group(0)}'",
                "name the file, function, command or error instead",
            )


# What gives a decision its reason: a clause that says why.
REASON_RE = re.compile(
    r"\b(?:because|since|so that|as|to avoid|to keep|to let|in order"
    r"|otherwise|instead of|rather than|given|due to|why|which|means|would|keeps|avoids)\b"
    r"|: |\s[\u2014\u2013-]{1,2}\s|;",
    re.I,
)
PLAIN_PATH_RE = re.compile(r"(?<![\w`/.-])[\w.-]+(?:/[\w.-]+)+/?")


def _items(lines, found, add) -> list[tuple[int, int, tuple[str, ...]]]:
    """Each Completed item names something concrete (code in backticks, or a path); each
    Decisions item carries its reason. Located at the item. Returns the Completed items that
    name no path that looks like one, with their words: the tree decides (`vague_item`)."""
    plain = []
    for name in ("Completed", "Decisions"):
        section = found.get(name)
        if section is None:
            continue
        for line_no, text, spans in lines:
            if not section.line < line_no < section.end_line:
                continue
            match = ITEM_RE.match(text)
            if not match or not match.group(1).strip():
                continue
            item = match.group(1)
            if name == "Completed":
                concrete = spans or any(path_like(t) for t in item.split())
                if not concrete:
                    stripped = (w.strip("'\"()[]<>,;:.") for w in item.split())
                    words = tuple(
                        dict.fromkeys(w for w in stripped if w and ".." not in w and w[0] != "/")
                    )
                    plain.append((line_no, match.start(1) + 1, words))
            elif not spans and not REASON_RE.search(item) or spans and not REASON_RE.search(
                item + " " + " ".join(span for _, span in spans)
            ):
                add(
                    line_no,
                    match.start(1) + 1,
                    "handoff-decision-reason",
                    "this decision gives no reason",
                    "say why, after a colon or 'because': the next session must know what "
                    "would change it",
                )
    return plain


def vague_item(line: int, col: int) -> tuple[int, int, str, str, str]:
    return (
        line,
        col,
        "handoff-item-vague",
        "this Completed item names nothing concrete",
        "name the file, function or command it changed, in backticks: "
        "`src/x.py`: `parse()` now ...",
    )


def path_like(token: str) -> str | None:
    """The repository path a token names, if it looks like one: a name with a known extension,
    or a name with a slash (`.github/workflows/ci.yml` too). `Makefile` alone reads as a word;
    under Artifacts every entry is a path (`artifact_paths`)."""
    token = token.strip().strip("'\"()[]<>,;")
    token = re.sub(r"(?::\d+(?::\d+)?|#L\d+\S*)\Z", "", token).rstrip(":.")
    if token.startswith("./"):
        token = token[2:]
    if (
        not token
        or "://" in token
        or token.startswith(("-", "/", "~", "$", "@", ".."))
        or token.startswith(".")
        and "/" not in token
    ):
        return None
    if not PATH_RE.fullmatch(token) or not re.search(r"[^\W\d_]", token):
        return None
    if "/" in token:
        return token if all(part for part in token.rstrip("/").split("/")) else None
    stem, dot, ext = token.rpartition(".")
    return token if dot and stem and ext.lower() in EXTENSIONS else None


RENAME_RE = re.compile(r"\s+(?:->|=>|\u2192)\s+")
NOTE_RE = re.compile(r"\s+\((?:deleted|removed|new|added|renamed|moved)[^)]*\)\Z", re.I)


def artifact_paths(entry: str, outside: list[str] | None = None) -> list[str]:
    """The paths an Artifacts entry names. Every entry is a path, whatever its name: no
    extension (`Makefile`), a dot file, spaces or non-ASCII inside backticks, a rename
    `old -> new` (both sides), a deleted file `path (deleted)`. A path outside the repository
    (`/etc/passwd`, `~/x`, `../x`) is none of the work's files: it goes to `outside`."""
    entry = NOTE_RE.sub("", entry.strip())
    paths = []
    for part in RENAME_RE.split(entry):
        part = part.strip().strip("`").strip()
        if part.startswith("./"):
            part = part[2:]
        if not part or "://" in part:
            continue
        if part.startswith(("/", "~")) or posixpath.normpath(part).split("/")[0] == "..":
            if outside is not None:
                outside.append(part)
            continue
        paths.append(part)
    return paths


def artifact_items(
    lines, section, outside: list[tuple[int, str]] | None = None
) -> list[tuple[int, str]]:
    """(line, path) for each path an entry under Artifacts names: its code spans when it has
    any (`a` -> `b` names both), else its first word (or both sides of `old -> new`); `lines`
    are the handoff's `_body_lines`. A path outside the repository goes to `outside`."""
    items = []
    away: list[str] = []
    for line_no, text, spans in lines:
        stripped = text.strip()
        if not section.line < line_no < section.end_line or stripped.startswith("#"):
            continue
        match = ITEM_RE.match(text)
        if not match and not spans:
            continue
        if spans:
            between = text[spans[0][0] + len(spans[0][1]) : spans[1][0]] if len(spans) > 1 else ""
            rename = between.strip() in ("->", "=>", "\u2192")
            chosen = spans[:2] if rename else spans[:1]
            candidates = [p for _, span in chosen for p in artifact_paths(span, away)]
        else:
            words = match.group(1).split() if match else []
            if len(words) >= 3 and RENAME_RE.fullmatch(f" {words[1]} "):
                words = [words[0], words[2]]
            else:
                words = words[:1]
            candidates = [p for w in words for p in artifact_paths(w.rstrip(":,;"), away)]
        items += [(line_no, path) for path in candidates]
        if outside is not None:
            outside += [(line_no, path) for path in away]
        away.clear()
    return items


def _named_paths(lines, found, artifacts, future: bool = False) -> list[tuple[str, int, int]]:
    """(path, line, col) of each path named in code spans or under Artifacts, first mention
    only; Remaining and Next action are left out, or with `future` only they are read: they
    name files the work has still to create."""
    named: dict[str, tuple[int, int]] = {}
    ahead = [found[name] for name in ("Remaining", "Next action") if name in found]
    for line_no, blanked, spans in lines:
        if any(section.line <= line_no < section.end_line for section in ahead) != future:
            continue
        listed = "Artifacts" in found and found["Artifacts"].line <= line_no < found[
            "Artifacts"
        ].end_line  # entries there are paths already, named at column 1
        if not listed and not blanked.lstrip().startswith("#"):
            for match in PLAIN_PATH_RE.finditer(blanked):
                token = match.group(0).rstrip(".")
                last = token.rstrip("/").rsplit("/", 1)[-1]
                # a slash and a file's name: `and/or`, `input/output` are words, not paths
                if "." not in last[1:] and not token.endswith("/"):
                    continue
                path = path_like(token)
                if path and path not in named:
                    named[path] = (line_no, match.start() + 1)
        for start, span in spans:
            tokens = [span] if " " not in span.strip() else [t for t in span.split() if "/" in t]
            for token in tokens:
                path = path_like(token)
                if path and path not in named:
                    named[path] = (line_no, start + 1)
    for line_no, path in artifacts:
        named.setdefault(path, (line_no, 1))
    return [(path, line, col) for path, (line, col) in named.items()]
