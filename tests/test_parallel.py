"""`agentmd next --parallel`: ready tasks that can run side by side."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from agentmd.files import globs
from agentmd.tasks import coupling, parallel
from agentmd.tasks.graph import Candidate
from agentmd.workspace.records import Record, Task
from conftest import cli, git

TASK = """---
title: Task {id}
status: todo
priority: high
depends_on: []
outputs: [{outputs}]
created: 2026-11-0{day}
---
## Goal

Do {id}.
"""


def write_plan(repo: Path, outputs: dict[str, str], extra_plan: str = "") -> None:
    assert cli(repo, "init").exit_code == 0
    if extra_plan:
        plan = repo / ".agents" / "plan.md"
        plan.write_text(plan.read_text().replace("lease: 2h\n", f"lease: 2h\n{extra_plan}"))
    for day, (task_id, outs) in enumerate(outputs.items(), 1):
        (repo / ".agents" / "tasks" / f"{task_id}.md").write_text(
            TASK.format(id=task_id, outputs=outs, day=day)
        )


def change_together(repo: Path, paths: list[str], times: int) -> None:
    for n in range(times):
        for path in paths:
            (repo / path).parent.mkdir(parents=True, exist_ok=True)
            (repo / path).write_text(f"version {n}\n")
        git(repo, "add", *paths)
        git(repo, "commit", "-q", "-m", f"change {n}")


def plan_with_conflicts(repo: Path) -> None:
    change_together(repo, ["src/lib/c.py", "src/lib/d.py"], 3)
    change_together(repo, ["src/app/a.py", "docs/e.md"], 2)  # below coupling_min: not coupled
    write_plan(
        repo,
        {
            "a": "src/app/a.py",
            "b": '"src/app/*.py"',
            "c": "src/lib/c.py",
            "d": "src/lib/d.py",
            "e": "docs/e.md",
        },
    )


def test_explain_names_the_task_and_the_file_that_held_each_candidate_back(repo):
    plan_with_conflicts(repo)
    result = cli(repo, "next", "--parallel", "5", "--explain")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "side by side (3 of at most 5):\n"
        "  1. a  outputs: src/app/a.py\n"
        "  2. c  outputs: src/lib/c.py\n"
        "  3. e  outputs: docs/e.md\n"
        "held back (2):\n"
        "  b: held back by a: outputs src/app/*.py and src/app/a.py overlap\n"
        "  d: held back by c: src/lib/d.py and src/lib/c.py "
        "changed together in 3 of the last 500 commits\n"
    )


def test_a_task_in_progress_holds_back_the_candidates_that_collide_with_it(repo):
    plan_with_conflicts(repo)
    assert cli(repo, "claim", "c").exit_code == 0
    result = cli(repo, "next", "--parallel", "2", "--explain", "--json")
    assert json.loads(result.stdout) == {
        "schema": 1,
        "limit": 2,
        "chosen": ["a", "e"],
        "held": [
            {"id": "b", "because": "a", "reason": "outputs src/app/*.py and src/app/a.py overlap"},
            {
                "id": "d",
                "because": "c",
                "reason": (
                    "src/lib/d.py and src/lib/c.py changed together in 3 of the last 500 commits"
                ),
            },
        ],
        "in_progress": ["c"],
    }


def test_coupling_settings_in_plan_md_change_what_counts_as_coupled(repo):
    plan_with_conflicts(repo)
    plan = repo / ".agents" / "plan.md"
    plan.write_text(plan.read_text().replace("lease: 2h\n", "lease: 2h\ncoupling_min: 4\n"))
    result = cli(repo, "next", "--parallel", "5", "--explain", "--json")
    assert json.loads(result.stdout)["chosen"] == ["a", "c", "d", "e"]
    plan.write_text(
        plan.read_text().replace("coupling_min: 4\n", "coupling_min: 2\ncoupling_window: 2\n")
    )
    result = cli(repo, "next", "--parallel", "5", "--explain", "--json")
    # the last two commits changed src/app/a.py and docs/e.md together: now those are coupled
    assert json.loads(result.stdout)["held"][-1] == {
        "id": "e",
        "because": "a",
        "reason": "docs/e.md and src/app/a.py changed together in 2 of the last 2 commits",
    }
    # The plan's own commits (claims, handoffs) do not use up the window.
    for n in range(3):
        (repo / ".agents" / "memory" / f"note-{n}.md").write_text(f"note {n}\n")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", f"plan {n}")
    result = cli(repo, "next", "--parallel", "5", "--explain", "--json")
    assert json.loads(result.stdout)["held"][-1] == {
        "id": "e",
        "because": "a",
        "reason": "docs/e.md and src/app/a.py changed together in 2 of the last 2 commits",
    }


def test_json_gives_each_task_with_its_prompt(repo):
    plan_with_conflicts(repo)
    result = cli(repo, "next", "--parallel", "2", "--json")
    data = json.loads(result.stdout)
    assert list(data) == ["schema", "tasks"]
    assert [t["task"]["id"] for t in data["tasks"]] == ["a", "c"]
    assert data["tasks"][0]["prompt"].startswith("# Task a\n")
    assert set(data["tasks"][0]) == {
        "task",
        "prompt",
        "tokens",
        "budget",
        "counter",
        "parts",
        "dropped",
    }


def test_text_output_prints_each_prompt_under_a_header(repo):
    plan_with_conflicts(repo)
    result = cli(repo, "next", "--parallel", "2")
    assert result.stdout.startswith("==> task 1 of 2: a <==\n\n# Task a\n")
    assert "\n\n==> task 2 of 2: c <==\n\n# Task c\n" in result.stdout


def test_claim_claims_the_whole_batch_and_the_next_batch_avoids_it(repo):
    plan_with_conflicts(repo)
    result = cli(repo, "next", "--parallel", "5", "--claim", "--as", "alice", "--json")
    assert [t["task"]["id"] for t in json.loads(result.stdout)["tasks"]] == ["a", "c", "e"]
    statuses = {t: cli(repo, "show", t, "--json") for t in "abcde"}
    assert {t: json.loads(r.stdout)["task"]["status"] for t, r in statuses.items()} == {
        "a": "active",
        "b": "todo",
        "c": "active",
        "d": "todo",
        "e": "active",
    }
    again = cli(repo, "next", "--parallel", "5")
    assert again.exit_code == 1
    assert again.stderr == "agentmd: error: nothing is ready (3 active, 2 todo)\n"


def test_a_task_without_outputs_runs_alone(repo):
    write_plan(repo, {"a": "", "b": "x.py"})
    result = cli(repo, "next", "--parallel", "3", "--explain")
    assert result.stdout == (
        "side by side (1 of at most 3):\n"
        "  1. a  outputs: none declared\n"
        "held back (1):\n"
        "  b: held back by a: a declares no outputs, so it runs alone\n"
    )


def test_push_needs_claim(repo):
    write_plan(repo, {"a": "x.py"})
    result = cli(repo, "next", "--push")
    assert result.exit_code == 2
    assert "--push pushes a claim: use it with --claim" in result.stderr


def test_bulk_commits_and_agents_files_do_not_count_as_coupling():
    log = "\x01\0\n" + "\0".join(f"f{n}.py" for n in range(40)) + "\0"
    log += ("\x01\0\na.py\0b.py\0.agents/tasks/t.md\0") * 3
    sets = coupling.changesets(log)
    assert len(sets) == 4 and sets[1] == ["a.py", "b.py"]
    assert coupling.count_pairs(sets, 3) == {"a.py": {"b.py": 3}, "b.py": {"a.py": 3}}


# -- the property: never two colliding tasks in one batch ------------------------------------

PATHS = ["src/a.py", "src/b.py", "src/c/d.py", "tests/test_a.py", "docs/x.md", "README.md"]
GLOBS = PATHS + ["src/*.py", "src/**", "*.md", "tests/", "src/c/*", "docs/**/*.md"]


def make_task(task_id: str, outputs: list[str], status: str = "todo") -> Task:
    fields = {"title": task_id, "status": status, "outputs": outputs}
    return Task.from_record(Record(f"tasks/{task_id}.md", fields, {}, 1))


tasks_strategy = st.lists(
    st.tuples(
        st.lists(st.sampled_from(GLOBS), max_size=3),
        st.sampled_from(["todo", "todo", "todo", "active"]),
    ),
    min_size=1,
    max_size=12,
)
pairs_strategy = st.lists(st.tuples(st.sampled_from(PATHS), st.sampled_from(PATHS)), max_size=6)


def coupled_files(history: coupling.Coupling, outputs: tuple[str, ...]) -> set[str]:
    return {f for f in history.partners if any(globs.matches(f, g) for g in outputs)}


@settings(max_examples=300, deadline=None)
@given(tasks_strategy, pairs_strategy, st.integers(min_value=1, max_value=8))
def test_parallel_never_returns_two_tasks_with_overlapping_outputs_or_coupled_files(
    specs, pairs, limit
):
    tasks = [make_task(f"t{n}", outs, status) for n, (outs, status) in enumerate(specs)]
    partners: dict[str, dict[str, int]] = {}
    for a, b in pairs:
        if a != b:
            partners.setdefault(a, {})[b] = 3
            partners.setdefault(b, {})[a] = 3
    history = coupling.Coupling(partners, 500, 3)
    ready = [Candidate(t, 0) for t in tasks if t.status == "todo"]
    busy = [t for t in tasks if t.status == "active"]
    chosen = parallel.select(ready, busy, limit, history).chosen
    assert len(chosen) <= limit
    group = chosen + busy
    for i, first in enumerate(chosen):
        for second in group[i + 1 :]:
            assert first.outputs and second.outputs
            for x in first.outputs:
                for y in second.outputs:
                    assert not globs.overlap(x, y, True, True), (first.id, second.id, x, y)
            mine, theirs = (
                coupled_files(history, first.outputs),
                coupled_files(history, second.outputs),
            )
            assert not any(b in theirs for a in mine for b in partners[a]), (first.id, second.id)
    # and it is not empty-handed when something could run: the first ready task that collides
    # with nothing in progress is always taken
    free = [
        c.task
        for c in ready
        if all(
            parallel.conflict(
                parallel._Scope(c.task, history), parallel._Scope(b, history), history
            )
            is None
            for b in busy
        )
    ]
    if free:
        assert chosen and chosen[0] == free[0]


def test_explain_names_the_strongest_coupled_pair_not_the_first():
    partners = {
        "src/a.py": {"src/b.py": 3, "src/c.py": 11},
        "src/b.py": {"src/a.py": 3},
        "src/c.py": {"src/a.py": 11},
    }
    history = coupling.Coupling(partners, 500, 3)
    b = make_task("b", ["src/b.py"], "todo")
    c = make_task("c", ["src/c.py"], "todo")
    a = make_task("a", ["src/a.py"], "todo")
    held = parallel.select([Candidate(t, 0) for t in (b, c, a)], [], 3, history).held
    assert [h.render() for h in held] == [
        "a: held back by c: src/a.py and src/c.py changed together in 11 of the last 500 commits"
    ]
    assert history.between(["src/a.py"], ["src/b.py", "src/c.py"]) == ("src/a.py", "src/c.py", 11)
