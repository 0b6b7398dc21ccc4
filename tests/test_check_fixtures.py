"""`agentmd check`'s findings as data: each case in tests/fixtures/check/*.md is a file in and
the findings out, as markdown-it-py's fixture files are.

A case is a description line, the path the file is written to, then `.`, the file's text, `.`,
the findings expected at that path (`check`'s exact lines, hints included), `.`. A file under
.agents/ is checked with the whole example workspace around it and only its own findings are
compared; any other file is checked by path, as `agentmd check PATH` does."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import pytest

from conftest import cli, git

FIXTURES = Path(__file__).parent / "fixtures" / "check"


class Case(NamedTuple):
    description: str
    path: str
    text: str
    expected: str
    origin: str  # fixture file and line, for the test id


def read_cases(fixture: Path) -> list[Case]:
    lines = fixture.read_text(encoding="utf-8").splitlines(keepends=True)
    cases = []
    index = 0
    while index < len(lines):
        if not lines[index].strip():
            index += 1
            continue
        start = index + 1
        description, path = lines[index].strip(), lines[index + 1].strip()
        if lines[index + 2] != ".\n":
            raise ValueError(f"{fixture.name}:{index + 3}: expected '.' before the file's text")
        blocks = []
        index += 3
        for _ in range(2):
            end = lines.index(".\n", index)
            blocks.append("".join(lines[index:end]))
            index = end + 1
        cases.append(Case(description, path, blocks[0], blocks[1], f"{fixture.stem}:{start}"))
    return cases


CASES = [case for fixture in sorted(FIXTURES.glob("*.md")) for case in read_cases(fixture)]


def findings_at(output: str, path: str) -> str:
    """The finding lines at `path`, each with its hint line."""
    kept = []
    keep = False
    for line in output.splitlines(keepends=True):
        if not line.startswith("  hint: "):
            keep = line.startswith(path + ":")
        if keep:
            kept.append(line)
    return "".join(kept)


def test_the_fixtures_hold_cases_of_every_kind():
    assert len(CASES) >= 12
    assert {case.origin.split(":")[0] for case in CASES} >= {"tasks", "notes", "plan", "foreign"}
    assert findings_at("a.md:1:1: error x: y\n  hint: z\nb.md:2:1: error x: y\n", "a.md") == (
        "a.md:1:1: error x: y\n  hint: z\n"
    )


@pytest.mark.parametrize("case", CASES, ids=[c.origin for c in CASES])
def test_check_finds_what_the_fixture_expects(example, case, monkeypatch):
    monkeypatch.setenv("AGENTMD_NOW", "2026-11-22T10:00:00Z")
    target = example / case.path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(case.text, encoding="utf-8")
    git(example, "add", "-A")
    in_workspace = case.path.startswith(".agents/")
    result = cli(example, "check") if in_workspace else cli(example, "check", case.path)
    assert findings_at(result.stdout, case.path) == case.expected, case.description
    if " error " in case.expected:
        assert result.exit_code == 1
    elif not in_workspace:
        assert result.exit_code == 0
