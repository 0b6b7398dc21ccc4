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
    cache = tmp_path / "readings"
    doc = document.parse(GOOD, DISPLAY)
    first = Readings(cache)
    reading = first.get(doc, lenient=False)
    first.save()
    assert [shard.name for shard in cache.iterdir()] == [f"{textfile.digest(GOOD)[0]}.json"]
    again = Readings(cache)
    assert again.recall(DISPLAY, textfile.digest(GOOD)) == reading
    changed = GOOD.replace("Start `counter`.", "Start `counter`: fixed some issues.")
    assert again.recall(DISPLAY, textfile.digest(changed)) is None
    assert [p.code for p in again.get(document.parse(changed, DISPLAY), False).problems] == [
        "handoff-vague"
    ]


def forty_readings_kept(cache: Path) -> list[str]:
    """Forty handoff texts, each read and its reading kept in `cache` (spread over shards)."""
    texts = [GOOD.replace("Start `counter`.", f"Start `counter` {n}.") for n in range(40)]
    first = Readings(cache)
    for text in texts:
        first.get(document.parse(text, DISPLAY), lenient=False)
    first.save()
    return texts


def test_a_run_that_read_every_handoff_prunes_the_readings_of_old_contents(tmp_path: Path):
    cache = tmp_path / "readings"
    texts = forty_readings_kept(cache)
    shards = {textfile.digest(text)[0] for text in texts}
    assert {shard.name for shard in cache.iterdir()} == {f"{s}.json" for s in shards}
    kept = texts[0]
    second = Readings(cache)
    second.get(document.parse(kept, DISPLAY), lenient=False)
    second.save(prune=True)  # it read every handoff there is: only this one
    third = Readings(cache)
    assert third.recall(DISPLAY, textfile.digest(kept)) is not None
    assert all(third.recall(DISPLAY, textfile.digest(text)) is None for text in texts[1:])


def test_a_shard_settled_is_saved_and_let_go_and_a_later_reading_is_added_to_it(
    tmp_path, monkeypatch
):
    """`check` takes the handoffs a shard at a time (checks/passes.py): each shard is saved
    (pruned when every reading in it was looked at) and dropped before the next is loaded."""
    cache = tmp_path / "readings"
    texts = forty_readings_kept(cache)
    by_shard: dict[str, list[str]] = {}
    for text in texts:
        by_shard.setdefault(textfile.digest(text)[0], []).append(text)
    shard, (kept, *gone) = max(by_shard.items(), key=lambda item: len(item[1]))
    assert gone  # a shard that holds two readings or more
    again = Readings(cache)
    assert again.recall(DISPLAY, textfile.digest(kept)) is not None
    again.settle(shard, prune=True)  # every handoff of this shard looked at: only `kept`
    assert again._shards == {} and again._used == {}  # let go
    late = next(t for t in gone)
    again.get(document.parse(late, DISPLAY), lenient=False)  # read again after it settled
    again.save(prune=True)  # the settled shard keeps both; the others, no reading now, none
    after = Readings(cache)
    assert after.recall(DISPLAY, textfile.digest(kept)) is not None
    assert after.recall(DISPLAY, textfile.digest(late)) is not None
    assert all(after.recall(DISPLAY, textfile.digest(t)) is None for t in gone if t != late)
    others = [t for s, ts in by_shard.items() if s != shard for t in ts]
    assert all(after.recall(DISPLAY, textfile.digest(t)) is None for t in others)
    unpruned = Readings(cache)
    loaded = []
    monkeypatch.setattr(Readings, "_shard", lambda self, name: loaded.append(name) or {})
    unpruned.settle(shard, prune=False)  # nothing read, nothing pruned: the shard as it was,
    assert loaded == []  # its file not even loaded
    monkeypatch.undo()
    assert Readings(cache).recall(DISPLAY, textfile.digest(kept)) is not None
