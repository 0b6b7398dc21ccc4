"""Every file of its kind in ../shared/corpus imported: nothing crashes, every item is imported
or refused with a located reason, the counts of tasks and of done tasks equal the source's, and
`agentmd check` finds no error in the result. The corpus is read where it lies (a Backlog.md
folder is rebuilt from symlinks to it); nothing is copied."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from conftest import CORPUS, cli

pytestmark = pytest.mark.skipif(
    not CORPUS.is_dir(), reason="../shared/corpus is not here (a clone without the corpus)"
)
BOX_RE = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+\[([ xX~/-])\]")
DONE_RE = re.compile(r"^status:\s*['\"]?done['\"]?\s*$", re.I | re.M)
LOCATED_RE = re.compile(r"^\S.*:\d+:\d+: error [a-z-]+: ", re.M)


def manifest(prefix: str) -> list[list[str]]:
    if not (CORPUS / "MANIFEST.tsv").is_file():
        return []
    with open(CORPUS / "MANIFEST.tsv", encoding="utf-8") as handle:
        return [row for row in csv.reader(handle, delimiter="\t") if row[0].startswith(prefix)]


def imported(repo: Path) -> list[str]:
    return [p.read_text() for p in sorted((repo / ".agents/tasks").glob("*.md"))]


def refused(stderr: str) -> int:
    return len(LOCATED_RE.findall(stderr))


def done_count(texts: list[str]) -> int:
    return sum(1 for t in texts if "\nstatus: done\n" in t)


BACKLOG_REPOS = sorted({row[1] for row in manifest("backlog/")})
TASK_DIRS = ("backlog/tasks/", "backlog/drafts/", "backlog/completed/", "backlog/archive/tasks/")


@pytest.mark.parametrize("name", BACKLOG_REPOS)
def test_every_backlog_folder_of_the_corpus(repo, name):
    rows = [row for row in manifest("backlog/") if row[1] == name]
    files = []
    for row in rows:
        link = repo / row[2]
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(CORPUS / row[0])
        if row[2].startswith(TASK_DIRS) and row[2].endswith(".md"):
            files.append(row)
    assert cli(repo, "init").exit_code == 0
    result = cli(repo, "import", "backlog", "backlog")
    assert result.exit_code in (0, 1), result.output
    assert "Traceback" not in result.output
    texts = imported(repo)
    assert len(texts) + refused(result.stderr) == len(files), result.output
    expected_done = 0
    for row in files:
        raw = (CORPUS / row[0]).read_bytes().decode("utf-8", "replace")
        expected_done += bool(row[2].startswith("backlog/completed/") or DONE_RE.search(raw))
    assert done_count(texts) == expected_done
    check = cli(repo, "check")
    assert check.exit_code == 0, check.output
    assert "ok: " in check.output


TASKMASTER = [row[0] for row in manifest("taskmaster/") if row[0].endswith("tasks.json")]


@pytest.mark.parametrize("rel", TASKMASTER)
def test_every_taskmaster_file_of_the_corpus(repo, rel):
    data = json.loads((CORPUS / rel).read_text(encoding="utf-8"))
    tags = [data] if isinstance(data.get("tasks"), list) else list(data.values())
    every = [t for tag in tags for top in tag["tasks"] for t in [top, *(top.get("subtasks") or [])]]
    assert cli(repo, "init").exit_code == 0
    result = cli(repo, "import", "taskmaster", str(CORPUS / rel))
    assert result.exit_code == 0, result.output
    texts = imported(repo)
    assert len(texts) == len(every)
    assert done_count(texts) == sum(1 for t in every if t.get("status") == "done")
    check = cli(repo, "check")
    assert check.exit_code == 0, check.output


PLANS = [row[0] for row in manifest("plans/")]


def boxes(text: str) -> list[str]:
    marks, fence = [], False
    for line in text.splitlines():
        if re.match(r"^\s*(```|~~~)", line):
            fence = not fence
            continue
        match = None if fence else BOX_RE.match(line)
        if match:
            marks.append(match.group(1))
    return marks


@pytest.mark.parametrize("rel", PLANS)
def test_every_plan_of_the_corpus(repo, rel):
    name = rel.split("/", 1)[1]
    text = (CORPUS / rel).read_text(encoding="utf-8")
    # as a user picks it: Kiro's folder; spec-kit's T001 lines; any other file is a checklist
    speckit = re.search(r"\[[ xX]\]\s+(\*\*)?T\d{3}", text) and name.endswith("tasks.md")
    fmt = "kiro" if ".kiro__" in name else "speckit" if speckit else "checklist"
    marks = boxes(text)
    assert cli(repo, "init").exit_code == 0
    result = cli(repo, "import", fmt, str(CORPUS / rel))
    assert result.exit_code in (0, 1), result.output
    texts = imported(repo)
    # spec-kit's checks under a task become its acceptance criteria, not tasks of their own
    criteria = [
        line
        for t in texts
        if "## Acceptance criteria\n" in t
        for line in t.split("## Acceptance criteria\n", 1)[1].split("\n## ", 1)[0].splitlines()
        if line.startswith("- [")
    ]
    assert len(texts) + len(criteria) + refused(result.stderr) == len(marks), result.output
    done_criteria = sum(1 for line in criteria if line.startswith("- [x]"))
    assert done_count(texts) + done_criteria == sum(1 for m in marks if m in "xX")
    check = cli(repo, "check")
    assert check.exit_code == 0, check.output
