"""`agentmd tokens --as HOST PATH...`: what a host loads for a session working on each path."""

from __future__ import annotations

from pathlib import Path

import click

from agentmd import git
from agentmd.cli.common import emit_json
from agentmd.errors import AgentmdError
from agentmd.prompt.tokens import Counter


def show_loads(host: str, paths: tuple[str, ...], token_counter: str, as_json: bool) -> int:
    from agentmd.rules import hosts
    from agentmd.rules.tree import Tree

    name = host.strip().lower()
    if name not in hosts.HOSTS:
        raise AgentmdError(
            f"no host '{host}'", f"use one of: {', '.join(hosts.HOSTS)} (docs/hosts.md)"
        )
    root = _root(paths)
    counter: Counter = hosts.ESTIMATE
    if token_counter == "exact":
        from agentmd.cli.common import open_workspace
        from agentmd.prompt.counters import counter_for

        counter = counter_for("exact", open_workspace())
    tree = Tree(root)
    loads = [hosts.load(tree, name, _relative(root, p), counter) for p in paths]
    if as_json:
        emit_json(
            {
                "host": name,
                "counter": counter.name,
                "loads": [_load_json(load) for load in loads],
            }
        )
        return 0
    for index, load in enumerate(loads):
        if index:
            click.echo()
        _print(hosts.HOSTS[name].title, load)
    return 0


def _root(paths: tuple[str, ...]) -> Path:
    """The repository the paths are in: git's top level from here, else from the first path."""
    first = (Path.cwd() / paths[0]).absolute() if paths else Path.cwd()
    for start in (Path.cwd(), first if first.is_dir() else first.parent):
        if start.is_dir():
            found = git.run(["rev-parse", "--show-toplevel"], start, check=False)
            if found.returncode == 0:
                return Path(found.stdout.strip())
    return Path.cwd()


def _relative(root: Path, raw: str) -> str:
    full = (Path.cwd() / raw).absolute()
    try:
        rel = full.relative_to(root.absolute()).as_posix()
    except ValueError:
        rel = raw
    rel = "" if rel == "." else rel
    return rel + "/" if full.is_dir() and rel else rel


def _print(title: str, load) -> None:
    where = load.path or "the repository root"
    click.echo(f"{title} working on {where} loads:")
    for item in load.files:
        cut = f", cut at line {item.cut_line}" if item.cut_line else ""
        click.echo(f"{item.tokens:>9,}  {item.path}  ({item.why}{cut})")
    click.echo(f"{load.total:>9,}  total")
    for skipped in load.skipped:
        click.echo(f"{'-':>9}  {skipped.path}  (not loaded: {skipped.why})")


def _load_json(load) -> dict:
    return {
        "path": load.path,
        "files": [
            {
                "path": item.path,
                "tokens": item.tokens,
                "why": item.why,
                "bytes": item.size,
                "loaded_bytes": item.loaded_bytes,
                "cut_line": item.cut_line,
            }
            for item in load.files
        ],
        "skipped": [{"path": s.path, "why": s.why} for s in load.skipped],
        "total": load.total,
    }
