"""The layout keeps its rules: no import cycles (a function-level import counts too), the core
never imports click, package __init__ files stay empty, the folder name is written once, and
code comments carry no issue numbers."""

from __future__ import annotations

import ast
import re
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"
PACKAGE = SRC / "agentmd"


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = ".".join(path.relative_to(SRC).with_suffix("").parts)
        found[name.removesuffix(".__init__")] = path
    return found


def _imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """Every agentmd module `path` imports, wherever the import stands (TYPE_CHECKING too)."""
    deps = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            deps |= {alias.name for alias in node.names if alias.name in modules}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                if full in modules:
                    deps.add(full)
                elif node.module in modules:
                    deps.add(node.module)
    return deps


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in sorted(graph[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_module_imports_itself_back_through_others():
    modules = _modules()
    graph = {
        name: {d for d in _imports(path, modules) if not name.startswith(d + ".") and d != name}
        for name, path in modules.items()
    }
    assert "agentmd.tasks.lifecycle" in graph["agentmd.tasks.claims"]  # the graph is real
    assert _cycles(graph) == []


def test_a_planted_cycle_is_found():
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]


def test_the_core_never_imports_click():
    modules = _modules()
    importers = []
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        names |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        if any(n == "click" or n.startswith("click.") for n in names):
            importers.append(name)
    assert "agentmd.cli.next" in importers
    assert [name for name in importers if not name.startswith("agentmd.cli")] == []


def test_package_init_files_hold_no_code():
    inits = sorted(PACKAGE.rglob("__init__.py"))
    assert len(inits) >= 9
    for path in inits:
        body = ast.parse(path.read_text(encoding="utf-8")).body
        kinds = {type(node).__name__ for node in body}
        if path.parent == PACKAGE:  # the version and the few names every module shares
            assert kinds <= {"Expr", "Assign"}, path
        elif path.parent.name != "cli":  # cli's holds the command table
            assert kinds <= {"Expr"}, path


def test_the_folder_name_is_written_in_one_place():
    hand_written = re.compile(r"""(?<!\w)f["'][^"'\n]*(?<![\w{])\.agents/""")
    offenders = [
        f"{path.relative_to(SRC)}:{number}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if hand_written.search(line)
    ]
    assert hand_written.search('x = f".agents/{rel}"')
    assert offenders == []
    assert 'AGENTS_DIR = ".agents"' in (PACKAGE / "__init__.py").read_text(encoding="utf-8")


def test_comments_carry_no_issue_numbers():
    mention = re.compile(r"#.*\bissues? \d+|\(issue \d+\)|issue \d+'s", re.I)
    offenders = [
        f"{path.relative_to(SRC)}:{number}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if mention.search(line)
    ]
    assert mention.search("    # many agents at once (issue 4)")
    assert offenders == []
