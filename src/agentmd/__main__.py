"""`python -m agentmd`."""

from agentmd.cli import run

run()
