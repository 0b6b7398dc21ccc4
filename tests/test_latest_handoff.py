"""The latest handoff of each task, found newest first and only as far as a question needs:
the same answers as reading every handoff, and no more read than the answer needs."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from agentmd.handoffs.latest import Latest, latest_index, newest_first

DAYS = st.sampled_from(["2026-11-20", "2026-11-22", "2026-12-01"])
NAMES = st.builds(
    lambda day, stem, n: f".agents/handoffs/{day}-{stem}{'' if n is None else f'-{n}'}.md",
    DAYS,
    st.sampled_from(["a", "b", "notes", "t10", "t2"]),
    st.one_of(st.none(), st.integers(2, 12)),
)
HANDOFFS = st.dictionaries(NAMES, st.sampled_from(["a", "b", "c", ""]), max_size=30)


@given(HANDOFFS, st.lists(st.sampled_from(["a", "b", "c", "d", ""]), max_size=8))
def test_newest_first_answers_as_reading_every_handoff(handoffs, asked):
    everything = latest_index(handoffs.items())
    finder = Latest((path, handoffs[path]) for path in newest_first(handoffs))
    for task in asked:  # in any order, each asked any number of times
        assert finder.of(task) == everything.get(task)


def test_only_as_many_handoffs_are_read_as_the_answer_needs():
    handoffs = {f".agents/handoffs/2026-11-{day:02d}-t{day}.md": f"t{day}" for day in range(1, 29)}
    handoffs[".agents/handoffs/2026-12-01-t3.md"] = "t3"
    read: list[str] = []

    def reading():
        for path in newest_first(handoffs):
            read.append(path)
            yield path, handoffs[path]

    finder = Latest(reading())
    assert finder.of("t3") == ".agents/handoffs/2026-12-01-t3.md"
    assert read == [".agents/handoffs/2026-12-01-t3.md"]  # the newest: nothing else read
    assert finder.of("t27") == ".agents/handoffs/2026-11-27-t27.md"
    assert len(read) == 3  # 2026-11-28, then 2026-11-27
    assert finder.of("nobody") is None
    assert len(read) == 29  # every one read once to say so, and not again
    assert finder.of("t1") == ".agents/handoffs/2026-11-01-t1.md"
    assert len(read) == 29


def by_runs(path: str) -> tuple:
    """The order the names sort in, written the plain way: run by run, numbers by value."""
    import re

    stem = path.rsplit("/", 1)[-1].removesuffix(".md")
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part)
        for part in re.split(r"([0-9]+)", stem)
        if part
    )


NAME_TEXT = st.text(alphabet="0123456789-abT._ x", max_size=14)


@given(NAME_TEXT, NAME_TEXT)
def test_the_order_key_sorts_run_by_run_numbers_by_value(a, b):
    from agentmd.handoffs.names import order_key

    first, second = f".agents/handoffs/{a}.md", f".agents/handoffs/{b}.md"
    assert (order_key(first) < order_key(second)) == (by_runs(first) < by_runs(second))
    assert (order_key(first) == order_key(second)) == (by_runs(first) == by_runs(second))
