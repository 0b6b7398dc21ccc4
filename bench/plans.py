"""Synthetic plans for the benchmark: N tasks with dependencies, about 30% done, each done task
with a valid handoff, in a git repository; seeded, and cached under bench/.work/."""

from __future__ import annotations

import random
import shutil
from dataclasses import dataclass
from pathlib import Path

from harness import call

# Bump when the generated plan changes: a cached plan of another version is built again.
VERSION = "2: handoffs with a base"
AREAS = ("auth", "billing", "search", "api", "ui", "storage", "jobs", "metrics")
DONE_SHARE = 0.3
GIT = ("git", "-c", "commit.gpgsign=false")


def task_id(n: int) -> str:
    return f"t{n:05d}"


def area_of(n: int) -> str:
    return AREAS[n % len(AREAS)]


def handoff(n: int, base: str) -> str:
    """A handoff that `agentmd check` accepts: every section filled, each path it names exists,
    and Artifacts "None" is true, since the plan's history changes nothing outside .agents/."""
    tid, area = task_id(n), area_of(n)
    return (
        f"---\ntask: {tid}\nstatus: done\nbase: {base}\n---\n"
        "## Summary\n\n"
        f"Reviewed the {area} piece of task {tid} against "
        f"the {area} rules; it needs no code change.\n\n"
        "## Completed\n\n"
        f"- `.agents/tasks/{tid}.md`: every acceptance criterion checked, status done.\n\n"
        "## Remaining\n\nNone\n\n"
        "## Decisions\n\n"
        f"- Kept the {area} code pure, as `.agents/rules/{area}.md` asks.\n\n"
        "## Gotchas\n\nNone\n\n"
        "## Next action\n\nStart the ready tasks that depend on this one.\n\n"
        "## Artifacts\n\nNone\n\n"
        "## Verification\n\n"
        f"- `git diff --stat {base[:12]}`: nothing changed outside .agents/.\n"
    )


def make_plan(root: Path, n_tasks: int, env: dict[str, str], seed: int = 7) -> Path:
    """Write a repository at `root` whose `.agents/` holds `n_tasks` tasks; returns root.

    Two commits, as a plan is worked: the first holds every task as todo, the second marks the
    done ones and adds their handoffs, whose base is the first."""
    rng = random.Random(seed)
    agents = root / ".agents"
    for folder in ("tasks", "handoffs", "memory/decisions", "memory/gotchas", "rules"):
        (agents / folder).mkdir(parents=True, exist_ok=True)
    (agents / ".gitignore").write_text(".cache/\n")
    (agents / "plan.md").write_text(
        "---\ntitle: Benchmark plan\ncontext_window: 200000\nprompt_budget: 0.6\n---\n"
        "## Goal\n\nA large synthetic plan to measure agentmd.\n\n## Constraints\n\n- None.\n"
    )
    (agents / "memory/log.md").write_text("# Log\n\n")
    for area in AREAS:
        (agents / "rules" / f"{area}.md").write_text(
            f'---\ntitle: {area} rules\napplies_to: ["src/{area}/**"]\n---\n- Keep {area} pure.\n'
        )
        (agents / "memory/decisions" / f"{area}.md").write_text(
            f'---\ntitle: {area} decision\ndate: 2026-01-01\napplies_to: ["src/{area}/**"]\n---\n'
            f"We chose the simple design for {area}.\n"
        )
    (agents / "rules" / "always.md").write_text(
        "---\ntitle: Always\nalways: true\n---\n- Be concise.\n"
    )

    done = int(n_tasks * DONE_SHARE)
    tasks = [TaskSpec.draw(n, rng) for n in range(n_tasks)]
    for task in tasks:
        (agents / "tasks" / f"{task_id(task.n)}.md").write_text(task.text("todo"))
    call(["git", "init", "-q", "-b", "main"], root, env)
    call(["git", "add", "-A"], root, env)
    call([*GIT, "commit", "-q", "-m", "plan"], root, env)
    base = call(["git", "rev-parse", "HEAD"], root, env).strip()

    for n in range(done):  # dependencies point to earlier tasks, so these are all done
        (agents / "tasks" / f"{task_id(n)}.md").write_text(tasks[n].text("done"))
        (agents / "handoffs" / f"2026-06-01-{task_id(n)}.md").write_text(handoff(n, base))
    call(["git", "add", "-A"], root, env)
    call([*GIT, "commit", "-q", "-m", f"{done} tasks done, each with its handoff"], root, env)
    return root


@dataclass(frozen=True)
class TaskSpec:
    """One task's fields, drawn once from the seeded generator; its text at any status."""

    n: int
    deps: tuple[str, ...]
    priority: str

    @classmethod
    def draw(cls, n: int, rng: random.Random) -> TaskSpec:
        deps = sorted({task_id(rng.randrange(n)) for _ in range(rng.randint(0, 3))}) if n else []
        return cls(n, tuple(deps), rng.choice(("high", "medium", "medium", "low")))

    def text(self, status: str) -> str:
        n, area = self.n, area_of(self.n)
        module = f"src/{area}/m{n:05d}.py"
        return (
            "---\n"
            f"title: Implement {area} piece {n}\n"
            f"status: {status}\n"
            f"priority: {self.priority}\n"
            f"depends_on: [{', '.join(self.deps)}]\n"
            f"inputs: [src/{area}/base.py]\n"
            f"outputs: [{module}, tests/{area}/test_m{n:05d}.py]\n"
            "verify:\n"
            f"  - python -m pytest tests/{area}/test_m{n:05d}.py -q\n"
            f"created: 2026-{1 + n % 12:02d}-{1 + n % 28:02d}\n"
            "---\n"
            f"## Goal\n\nAdd `{module}` with its behaviour for {area}.\n\n"
            "## Acceptance criteria\n\n- [ ] the function "
            "exists\n- [ ] tests cover the edge cases\n"
        )


def cached_plan(work: Path, size: int, env: dict[str, str]) -> Path:
    """The plan of `size` tasks under `work`, built once per VERSION, and reset to its last
    commit (a run stopped midway may have left the hook's staged files behind)."""
    root = work / f"plan-{size}"
    stamp = work / f"plan-{size}.version"
    if not stamp.is_file() or stamp.read_text() != VERSION:
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        make_plan(root, size, env)
        stamp.write_text(VERSION)
    else:
        call(["git", "reset", "-q", "--hard"], root, env)
        call(["git", "clean", "-q", "-fd"], root, env)  # not -x: agentmd's caches stay
    return root
