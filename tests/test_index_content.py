"""The index cache's second key: a file whose stat key moved is read, and parsed again only
when its bytes are not the ones last parsed (its git blob id differs)."""

from __future__ import annotations

import os
import time

from agentmd.files import frontmatter, textfile
from agentmd.workspace.folder import Workspace
from conftest import cli

TASK = "---\ntitle: {title}\nstatus: todo\n---\n## Goal\n\n{title}.\n"
OLD_NS = 10_000_000_000  # older than the racy window, so that the stat key alone is trusted


def write(repo, name: str, title: str):
    path = repo / ".agents" / "tasks" / f"{name}.md"
    path.write_text(TASK.format(title=title))
    return path


def age(path, seconds_back: int) -> None:
    stamp = time.time_ns() - OLD_NS - seconds_back * 1_000_000_000
    os.utime(path, ns=(stamp, stamp))


def count_parses(monkeypatch) -> list[str]:
    parsed: list[str] = []
    real = frontmatter.load_counted  # what the index calls (load_located calls it too)

    def counting(fm, display, *rest):
        parsed.append(display)
        return real(fm, display, *rest)

    monkeypatch.setattr(frontmatter, "load_counted", counting)
    return parsed


def test_a_touched_file_with_the_same_bytes_is_not_parsed_again(repo, monkeypatch):
    cli(repo, "init")
    path = write(repo, "a", "AAAA")
    age(path, 5)
    assert Workspace(repo).tasks["a"].title == "AAAA"  # writes the cache
    age(path, 1)  # a new mtime: what a checkout or `touch` leaves
    parsed = count_parses(monkeypatch)
    ws = Workspace(repo)
    assert ws.tasks["a"].title == "AAAA"
    assert parsed == []
    assert ws.tasks["a"].record.digest.hex() == textfile.blob_id(path.read_bytes())


def test_an_edit_of_the_same_size_is_parsed_again_whatever_its_mtime(repo, monkeypatch):
    cli(repo, "init")
    path = write(repo, "a", "AAAA")
    age(path, 5)
    assert Workspace(repo).tasks["a"].title == "AAAA"
    path.write_text(path.read_text().replace("AAAA", "BBBB"))  # same size, same inode
    age(path, 1)
    parsed = count_parses(monkeypatch)
    assert Workspace(repo).tasks["a"].title == "BBBB"
    assert parsed == [".agents/tasks/a.md"]


def test_a_process_that_reads_again_keeps_the_record_of_a_touched_unchanged_file(repo):
    cli(repo, "init")
    path = write(repo, "a", "AAAA")
    other = write(repo, "b", "BBBB")
    age(path, 5)
    age(other, 5)
    ws = Workspace(repo)
    first, second = ws.tasks["a"].record, ws.tasks["b"].record
    age(path, 1)
    other.write_text(other.read_text().replace("BBBB", "CCCC"))
    age(other, 1)
    ws.refresh()
    assert ws.tasks["a"].record is first  # the same object: its findings are reused too
    assert ws.tasks["b"].record is not second
    assert ws.tasks["b"].title == "CCCC"


def test_a_file_that_became_unreadable_is_not_taken_from_the_cache(repo):
    cli(repo, "init")
    path = write(repo, "a", "AAAA")
    age(path, 5)
    assert Workspace(repo).tasks["a"].title == "AAAA"
    path.write_bytes(path.read_bytes().replace(b"AAAA", b"AA\xe9A"))
    age(path, 1)
    task = Workspace(repo).tasks["a"]
    assert task.broken
    assert task.record.problem is not None
    assert task.record.problem.code == "not-utf8"


def test_a_check_that_read_no_new_handoff_leaves_the_readings_file_as_it_was(tmp_path):
    from agentmd.files import document
    from agentmd.handoffs.reading import Readings
    from conftest import TOKENIZER_HANDOFF

    display = ".agents/handoffs/2026-11-21-tokenizer.md"
    good = TOKENIZER_HANDOFF.format(base="abc1234")
    other = good.replace("Start `counter`.", "Start the `counter` module.")
    cache = tmp_path / "readings"  # a folder of shards, by blob id
    first = Readings(cache)
    for text in (good, other):
        first.get(document.parse(text, display), lenient=False)
    first.save(prune=True)
    shard = cache / f"{textfile.digest(other)[0]}.json"  # where `other`'s reading is kept
    written = shard.read_bytes()
    for kept in cache.iterdir():
        os.utime(kept, ns=(1, 1))
    again = Readings(cache)  # every handoff read as before: nothing to add or drop
    for text in (good, other):
        assert again.recall(display, textfile.digest(text)) is not None
    again.save(prune=True)
    assert {kept.stat().st_mtime_ns for kept in cache.iterdir()} == {1}
    pruned = Readings(cache)  # one handoff gone: its reading is dropped
    assert pruned.recall(display, textfile.digest(good)) is not None
    pruned.save(prune=True)
    assert shard.stat().st_mtime_ns != 1
    assert len(shard.read_bytes()) < len(written)
    assert Readings(cache).recall(display, textfile.digest(other)) is None
    assert Readings(cache).recall(display, textfile.digest(good)) is not None


def test_a_process_that_checks_again_finds_a_cycle_an_edit_makes_and_drops_one_it_breaks(repo):
    from agentmd.checks.passes import cycles_pass

    cli(repo, "init")
    first = write(repo, "a", "A")
    write(repo, "b", "B")
    ws = Workspace(repo)
    assert cycles_pass(ws) == []
    first.write_text(first.read_text().replace("status: todo\n", "status: todo\ndepends_on: [b]\n"))
    other = repo / ".agents/tasks/b.md"
    other.write_text(other.read_text().replace("status: todo\n", "status: todo\ndepends_on: [a]\n"))
    ws.refresh()
    assert [(p.path, p.line, p.message) for p in cycles_pass(ws)] == [
        (".agents/tasks/a.md", 4, "dependency cycle: a -> b -> a")
    ]
    ws.refresh()
    assert [p.message for p in cycles_pass(ws)] == ["dependency cycle: a -> b -> a"]
    other.write_text(other.read_text().replace("depends_on: [a]\n", ""))
    ws.refresh()
    assert cycles_pass(ws) == []
    assert "b" in ws.tasks
