"""Creating files from the templates: `init` (with the built-in example) and new tasks."""

from __future__ import annotations

import re
import string
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

from agentmd import AGENTS_DIR
from agentmd.errors import Problem
from agentmd.files import frontmatter, sections, textfile
from agentmd.files.document import Document
from agentmd.files.edit import render_scalar

if TYPE_CHECKING:
    from importlib.abc import Traversable

FOLDERS = ("tasks", "handoffs", "memory/decisions", "memory/gotchas", "rules")
BASE_FILES = {
    "plan.md": "base/plan.md",
    "memory/log.md": "base/log.md",
    ".gitignore": "base/gitignore",
    ".gitattributes": "base/gitattributes",  # memory/log.md merges as a union
}


def template_root() -> Traversable:
    """The built-in templates: their folder when the package is installed as files (as it
    nearly always is), read without importlib.resources, which imports zipfile (milliseconds
    that each `next` that compiles a prompt would pay); importlib.resources for a zipped one."""
    import agentmd.templates as package  # type: ignore[import-not-found]  # see package-dir

    folder = Path(package.__file__).parent if package.__file__ else None
    if folder is not None and (folder / "task.md").is_file():
        return folder
    from importlib import resources

    return resources.files("agentmd.templates")


def template_text(agents: Path, name: str) -> str:
    """A template, from .agents/templates/ when the project overrides it, else built in."""
    override = agents / "templates" / name
    if override.is_file():
        return textfile.read_text(override, f"{AGENTS_DIR}/templates/{name}")
    return template_root().joinpath(name).read_text(encoding="utf-8")


def template_prompts(agents: Path) -> dict[str, str]:
    """What the task template in effect (the project's, or the built-in one) writes under each
    heading: section key -> text."""
    template = template_text(agents, "task.md")
    fm = frontmatter.split(template, "task.md")
    return {
        s.key(): s.full
        for s in sections.parse(template[fm.body_start :] if fm else template)
        if s.full
    }


TASK_CRITERIA_PROMPT = "- [ ] A concrete, checkable outcome"


def fill_task(text: str, goal: str, criteria: tuple[str, ...] | list[str]) -> str:
    """A rendered task with its Goal and Acceptance criteria written in place of the built-in
    template's prompts (a project template without them gets the sections at its end)."""
    from agentmd.workspace.records import TASK_GOAL_PROMPT

    lines = "\n".join(f"- [ ] {' '.join(c.split())}" for c in criteria if c.strip())
    for prompt, value, heading in (
        (TASK_GOAL_PROMPT, goal.strip(), "Goal"),
        (TASK_CRITERIA_PROMPT, lines, "Acceptance criteria"),
    ):
        if not value:
            continue
        if prompt in text:
            text = text.replace(prompt, value, 1)
        else:
            text = text.rstrip("\n") + f"\n\n## {heading}\n\n{value}\n"
    return text


@cache  # the template is the installed one: read once, not for each of 10,000 prompts
def plan_prompts() -> MappingProxyType[str, str]:
    """What the built-in plan template writes under each heading: section key -> text (a
    plan.md that still holds it says nothing an agent can use)."""
    template = template_root().joinpath("base/plan.md").read_text(encoding="utf-8")
    fm = frontmatter.split(template, "plan.md")
    return MappingProxyType(
        {
            s.key(): s.full
            for s in sections.parse(template[fm.body_start :] if fm else template)
            if s.full
        }
    )


def unfilled(prompts: dict[str, str], doc: Document) -> list[Problem]:
    """The sections of a task file that still hold the template's text (`template_prompts`):
    the agent given that task would get no goal."""
    return [
        Problem(
            doc.display,
            section.line,
            1,
            "task-unfilled",
            f"section '{section.title}' still holds the template's text",
            "write what this task needs: an agent given it gets exactly this",
            "warning",
        )
        for section in doc.sections
        if prompts.get(section.key()) == section.full
    ]


def foreign_entries(root: Path) -> list[str]:
    """What .agents/ holds that agentmd does not write (another tool's files, e.g. Codex skills
    in .agents/skills/): the top-level names, folders with a trailing '/'. Empty when there is
    no .agents/ yet."""
    agents = root / AGENTS_DIR
    ours = {name.split("/", 1)[0] for name in (*BASE_FILES, *FOLDERS)} | {"templates", ".cache"}
    try:
        entries = sorted(agents.iterdir(), key=lambda p: p.name)
    except OSError:
        return []
    return [e.name + ("/" if e.is_dir() else "") for e in entries if e.name not in ours]


def project_name(root: Path) -> str:
    """The name the project gives itself (pyproject.toml's, package.json's, Cargo.toml's), else
    its folder's: the plan's title, which every prompt starts with."""
    import json
    import tomllib

    for manifest, read in (
        ("pyproject.toml", lambda text: tomllib.loads(text).get("project", {}).get("name")),
        ("package.json", lambda text: json.loads(text).get("name")),
        ("Cargo.toml", lambda text: tomllib.loads(text).get("package", {}).get("name")),
    ):
        try:
            name = read((root / manifest).read_text(encoding="utf-8"))
        except (OSError, ValueError, AttributeError):  # absent, broken, not UTF-8, odd shape
            continue
        if isinstance(name, str) and name.strip() and "\n" not in name:
            return name.strip()
    return root.resolve().name or "My project"


def init(root: Path, example: bool = False) -> list[tuple[str, bool]]:
    """Scaffold .agents/ under `root`; returns (path, created) for each file. Never overwrites."""
    agents = root / AGENTS_DIR
    results: list[tuple[str, bool]] = []
    files: dict[str, str] = {}
    for rel, name in BASE_FILES.items():
        files[rel] = template_root().joinpath(name).read_text(encoding="utf-8")
    files["plan.md"] = files["plan.md"].replace(
        "title: My project\n", f"title: {render_scalar(project_name(root))}\n", 1
    )
    for folder in FOLDERS:
        files[f"{folder}/.gitkeep"] = ""
    if example:
        for rel, entry in _walk(template_root().joinpath("example")):
            files[rel] = entry.read_text(encoding="utf-8")
    for rel in sorted(files):
        created = textfile.create_exclusive(agents / rel, files[rel])
        results.append((f"{AGENTS_DIR}/{rel}", created))
    return results


def _walk(folder: Traversable, prefix: str = ""):
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        rel = f"{prefix}{entry.name}"
        if entry.is_dir():
            yield from _walk(entry, rel + "/")
        elif not entry.name.startswith((".", "__")):
            yield rel, entry


def yaml_list(items: list[str], block_indent: str = "") -> str:
    if not items:
        return "[]"
    flow = "[" + ", ".join(render_scalar(item, flow=True) for item in items) + "]"
    if len(flow) <= 80 and not block_indent:
        return flow
    return "".join(f"\n{block_indent or '  '}- {render_scalar(item)}" for item in items)


def render_task(agents: Path, values: dict) -> str:
    text = string.Template(template_text(agents, "task.md")).safe_substitute(
        title=render_scalar(values["title"]),
        priority=values["priority"],
        depends_on=yaml_list(values["depends_on"]),
        inputs=yaml_list(values["inputs"]),
        outputs=yaml_list(values["outputs"]),
        verify=yaml_list(values["verify"], "  "),
        created=values["created"],
    )
    # A block list follows `key:` on the next lines: no space is left at the end of that line.
    return re.sub(r"^([A-Za-z_]\w*): \n", r"\1:\n", text, flags=re.M)
