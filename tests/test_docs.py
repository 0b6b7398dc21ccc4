"""Every command has help text and a page under docs/commands/."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from agentmd.cli import COMMANDS, main

DOCS = Path(__file__).resolve().parent.parent / "docs" / "commands"


def commands() -> list[tuple[str, click.Command]]:
    ctx = click.Context(main)
    found = []
    for name in sorted(COMMANDS):
        command = main.get_command(ctx, name)
        found.append((name, command))
        if isinstance(command, click.Group):
            found.extend((f"{name} {sub}", command.get_command(ctx, sub)) for sub in command.list_commands(ctx))
    return found


@pytest.mark.parametrize(("name", "command"), commands(), ids=lambda value: value if isinstance(value, str) else "")
def test_every_command_has_help_text(name, command):
    assert command is not None, f"agentmd {name} is registered but does not exist"
    assert (command.help or "").strip(), f"agentmd {name} has no help text"


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_has_a_docs_page(name):
    page = DOCS / f"{name}.md"
    assert page.is_file(), f"docs/commands/{name}.md is missing"
    assert f"agentmd {name}" in page.read_text()
