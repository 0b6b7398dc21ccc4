"""`python -m agentmd`."""

from agentmd.entry import run

run()
