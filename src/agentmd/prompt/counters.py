"""The token counter a `--tokens` option names: the offline estimate, or exact counts from the
Anthropic API (`api/exact_tokens.py`, which builds on the estimate; this module sits above both
so that neither imports the other back)."""

from __future__ import annotations

from agentmd import AGENTS_DIR
from agentmd.errors import AgentmdError
from agentmd.prompt.tokens import ESTIMATE, Counter
from agentmd.workspace.folder import Workspace


def counter_for(name: str, ws: Workspace | None) -> Counter:
    """`exact` asks the Anthropic API; anything else is the offline estimate."""
    if name == "exact":
        if ws is None:  # the model and the count cache live in .agents/
            raise AgentmdError(
                f"--tokens exact counts with the model {AGENTS_DIR}/plan.md names, and there is no "
                f"{AGENTS_DIR}/ folder here or above",
                "run it inside a workspace ('agentmd init' creates one), or drop --tokens exact",
            )
        # Here, not at the top: the estimate is what most runs count with, and they should not
        # pay for loading the API client.
        from agentmd.api.exact_tokens import ExactCounter

        return ExactCounter.for_workspace(ws)
    return ESTIMATE
