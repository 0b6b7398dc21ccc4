"""Synthetic plans for the benchmarks: N tasks with dependencies, about 30% done, seeded."""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

AREAS = ("auth", "billing", "search", "api", "ui", "storage", "jobs", "metrics")


def make_plan(root: Path, n_tasks: int, seed: int = 7, git: bool = True) -> Path:
    """Write a repository at `root` with `.agents/` holding `n_tasks` tasks; returns root."""
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
    done_cut = int(n_tasks * 0.3)
    for n in range(n_tasks):
        area = AREAS[n % len(AREAS)]
        deps = sorted({f"t{rng.randrange(n):05d}" for _ in range(rng.randint(0, 3))}) if n else []
        status = "done" if n < done_cut else "todo"
        priority = rng.choice(("high", "medium", "medium", "low"))
        module = f"src/{area}/m{n:05d}.py"
        (agents / "tasks" / f"t{n:05d}.md").write_text(
            "---\n"
            f"title: Implement {area} piece {n}\n"
            f"status: {status}\n"
            f"priority: {priority}\n"
            f"depends_on: [{', '.join(deps)}]\n"
            f"inputs: [src/{area}/base.py]\n"
            f"outputs: [{module}, tests/{area}/test_m{n:05d}.py]\n"
            "verify:\n"
            f"  - python -m pytest tests/{area}/test_m{n:05d}.py -q\n"
            f"created: 2026-{1 + n % 12:02d}-{1 + n % 28:02d}\n"
            "---\n"
            f"## Goal\n\nAdd `{module}` with its behaviour for {area}.\n\n"
            "## Acceptance criteria\n\n- [ ] the function exists\n- [ ] tests cover the edge cases\n"
        )
    for area in AREAS:
        (agents / "rules" / f"{area}.md").write_text(
            f"---\ntitle: {area} rules\napplies_to: [\"src/{area}/**\"]\n---\n- Keep {area} pure.\n"
        )
        (agents / "memory/decisions" / f"{area}.md").write_text(
            f"---\ntitle: {area} decision\ndate: 2026-01-01\napplies_to: [\"src/{area}/**\"]\n---\n"
            f"We chose the simple design for {area}.\n"
        )
    (agents / "rules" / "always.md").write_text("---\ntitle: Always\nalways: true\n---\n- Be concise.\n")
    if git:
        env_args = ["-c", "user.name=bench", "-c", "user.email=bench@example.com", "-c", "commit.gpgsign=false"]
        subprocess.run(["git", "init", "-q", "-b", "main"], cwd=root, check=True)
        subprocess.run(["git", "add", "-A"], cwd=root, check=True)
        subprocess.run(["git", *env_args, "commit", "-q", "-m", "plan"], cwd=root, check=True)
    return root
