"""Notes reach the tasks whose files they are about: in a task's own fields a plain name is the
path from the repository root (globs stay globs), so `Dockerfile` gets no `src/api/**` rule."""

from __future__ import annotations

import itertools

from agentmd.files import globs
from agentmd.memory import routing
from agentmd.prompt import compiler
from agentmd.workspace.folder import Workspace
from conftest import cli, git

# Every glob form docs/conventions.md describes, as a note's applies_to.
NOTE_GLOBS = [
    "*.py", "*.yml", "Dockerfile", "src/api/**", "docs/", "tests/**", ".github/workflows/*.yml",
    "src/*/models.py", "src/api/[ab]*.py", "src/api/?.py", "**/conftest.py", "README.md",
    "src/**/*.ts", "docker-compose.yml", "Makefile", "src/api/handlers/",
]  # fmt: skip

# The files of the repository the plan is about.
FILES = [
    "Dockerfile", "docker-compose.yml", "Makefile", "README.md", "setup.py",
    "src/api/Dockerfile", "src/api/app.py", "src/api/b.py", "src/api/auth.py",
    "src/api/handlers/users.py", "src/api/models.py", "src/web/models.py", "src/web/index.ts",
    "src/web/components/button.ts", "docs/index.md", "docs/api/usage.md", "tests/test_app.py",
    "tests/conftest.py", "tests/api/test_auth.py", ".github/workflows/ci.yml",
    ".github/workflows/release.yml", ".github/dependabot.yml",
]  # fmt: skip

# Tasks' inputs + outputs: plain paths at the root and below, folders, and globs.
TASKS = [
    ["Dockerfile", "docker-compose.yml"], ["Makefile"], ["README.md"], ["setup.py"],
    ["src/api/app.py", "tests/test_app.py"], ["src/api/*.py"], ["src/api/handlers/users.py"],
    ["src/web/models.py"], ["src/web/**/*.ts"], ["docs/index.md"], ["docs/"],
    [".github/workflows/ci.yml"], ["tests/conftest.py"], ["src/api/b.py"], ["src/api/Dockerfile"],
    [".github/dependabot.yml"], ["src/**"], ["tests/api/test_auth.py", "src/api/auth.py"],
]  # fmt: skip


def covered(fields: list[str]) -> set[str]:
    return {f for f in FILES if any(globs.matches(f, p, rooted=True) for p in fields)}


def test_routing_has_full_recall_and_at_least_ninety_percent_precision(repo):
    for rel in FILES:
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text("x\n")
    assert cli(repo, "init").exit_code == 0
    files = routing.Files(Workspace.find(repo))
    hits = misses = extra = 0
    for note, task in itertools.product(NOTE_GLOBS, TASKS):
        truth = any(globs.matches(f, note) for f in covered(task))
        routed = routing.routes((note,), tuple(task), files)
        hits += truth and routed
        misses += truth and not routed
        extra += routed and not truth
    assert misses == 0  # recall 100%
    assert hits > 40  # the plan exercises routing, not only its absence
    assert hits / (hits + extra) >= 0.9, (hits, extra)


def test_a_plain_name_in_a_tasks_fields_is_the_path_from_the_root():
    assert globs.matches("Dockerfile", "Dockerfile", rooted=True)
    assert not globs.matches("src/api/Dockerfile", "Dockerfile", rooted=True)
    assert globs.matches("src/api/Dockerfile", "Dockerfile")  # a note's glob: any depth
    assert globs.matches("src/api/x.py", "src/api/*.py", rooted=True)  # globs stay globs
    assert globs.matches("docs/a/b.md", "docs/", rooted=True)


def test_a_dockerfile_task_gets_no_rule_scoped_to_source_folders(example):
    rules = example / ".agents/rules"
    for name, scope in (("api", "src/api/**"), ("docs", "docs/"), ("ci", ".github/workflows/*.yml"),
                        ("docker", "Dockerfile")):  # fmt: skip
        (rules / f"{name}.md").write_text(
            f"---\ntitle: Rule {name}\napplies_to: ['{scope}']\n---\nFollow the {name} rule.\n"
        )
    added = cli(example, "add", "Containerise", "--priority", "high", "--output", "Dockerfile",
                "--output", "docker-compose.yml", "--goal", "Build an image.")  # fmt: skip
    assert added.exit_code == 0, added.output
    git(example, "add", "-A")
    git(example, "commit", "-q", "-m", "task")
    ws = Workspace.find(example)
    prompt = compiler.compile_prompt(ws, ws.task("containerise")).prompt
    assert prompt.startswith("# Containerise\n")
    assert "### Rule docker (applies to `Dockerfile`)" in prompt
    for name in ("api", "docs", "ci"):
        assert f"Rule {name}" not in prompt
