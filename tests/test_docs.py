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
            found.extend(
                (f"{name} {sub}", command.get_command(ctx, sub))
                for sub in command.list_commands(ctx)
            )
    return found


@pytest.mark.parametrize(
    ("name", "command"), commands(), ids=lambda value: value if isinstance(value, str) else ""
)
def test_every_command_has_help_text(name, command):
    assert command is not None, f"agentmd {name} is registered but does not exist"
    assert (command.help or "").strip(), f"agentmd {name} has no help text"


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_has_a_docs_page(name):
    page = DOCS / f"{name}.md"
    assert page.is_file(), f"docs/commands/{name}.md is missing"
    assert f"agentmd {name}" in page.read_text()


@pytest.mark.parametrize(
    ("name", "command"), commands(), ids=lambda value: value if isinstance(value, str) else ""
)
def test_every_option_says_what_it_is_for_with_a_readable_metavar(name, command):
    ctx = click.Context(command)
    for option in command.params:
        if not isinstance(option, click.Option) or option.hidden:
            continue
        assert (option.help or "").strip(), f"agentmd {name} {option.opts[0]} has no help text"
        if not option.is_flag:
            metavar = option.make_metavar(ctx)
            assert "RANGE" not in metavar, (
                f"agentmd {name} {option.opts[0]} shows click's "
                f"type name {metavar!r}: give it a metavar"
            )
