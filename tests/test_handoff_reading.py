"""handoffs/reading.py on its own: what a handoff's text says, without git or a workspace."""

from __future__ import annotations

from pathlib import Path

from agentmd.files import document, textfile
from agentmd.handoffs.reading import Readings, path_like, read_handoff
from conftest import TOKENIZER_HANDOFF

DISPLAY = ".agents/handoffs/2026-11-21-tokenizer.md"
GOOD = TOKENIZER_HANDOFF.format(base="abc1234")


def _read(text: str, lenient: bool = False):
    return read_handoff(document.parse(text, DISPLAY), lenient)


def test_a_complete_handoff_reads_clean_with_its_artifacts_and_named_paths():
    reading = _read(GOOD)
    assert reading.problems == ()
    assert reading.artifacts_line == 30
    assert reading.artifacts == ((32, "src/tally/tokenize.py"),)
    assert reading.artifacts_none == 0
    assert reading.named == (("src/tally/tokenize.py", 8, 21),)


def test_a_missing_section_and_vague_wording_are_found_at_their_lines():
    text = GOOD.replace("## Next action\n\nStart `counter`.\n\n", "")
    text = text.replace("splits on whitespace", "fixed some issues")
    found = [(p.line, p.code, p.severity) for p in _read(text).problems]
    assert found == [
        (6, "handoff-section-missing", "error"),
        (12, "handoff-vague", "error"),
    ]


def test_artifacts_that_say_none_are_remembered_at_their_heading():
    listed = "- src/tally/tokenize.py\n\n## Verification"
    reading = _read(GOOD.replace(listed, "None\n\n## Verification"))
    assert reading.artifacts == ()
    assert reading.artifacts_none == reading.artifacts_line == 30


def test_read_leniently_the_same_findings_are_warnings_and_the_front_matter_is_not_required():
    text = "# Notes\n\n## Next Steps\n\n1. Write the CLI.\n"
    strict = _read("---\ntask: x\n---\n" + text)
    lenient = _read(text, lenient=True)
    assert [p.code for p in strict.problems[:2]] == ["handoff-status", "handoff-base-missing"]
    assert [(p.code, p.severity) for p in lenient.problems[:2]] == [
        ("handoff-section-missing", "warning"),
        ("handoff-section-missing", "warning"),
    ]
    assert "handoff-status" not in {p.code for p in lenient.problems}
    assert lenient.named == ()  # names are checked against the disk only for our own handoffs


def test_path_like_takes_paths_and_leaves_prose_and_urls():
    assert path_like("src/tally/cli.py") == "src/tally/cli.py"
    assert path_like("tally/cli.py:12") == "tally/cli.py"
    assert path_like("./x.py") == "x.py"
    assert path_like(".agents/plan.md") == ".agents/plan.md"
    assert path_like("https://example.com/a.py") is None
    assert path_like("e.g.") is None


def test_readings_are_kept_by_content_and_a_changed_text_is_read_again(tmp_path: Path):
    cache = tmp_path / "readings"  # a folder of shards, by blob id
    doc = document.parse(GOOD, DISPLAY)
    first = Readings(cache)
    reading = first.get(doc, lenient=False)
    first.save()
    assert len(list(cache.glob("*.json"))) == 1
    again = Readings(cache)
    assert again.recall(DISPLAY, textfile.digest(GOOD)) == reading
    changed = GOOD.replace("Start `counter`.", "Start `counter`: fixed some issues.")
    assert again.recall(DISPLAY, textfile.digest(changed)) is None
    assert [p.code for p in again.get(document.parse(changed, DISPLAY), False).problems] == [
        "handoff-vague"
    ]
