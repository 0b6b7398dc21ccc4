"""`agentmd board`: a local, live web page of the plan and the loop, built from the core's own
answers (tasks/summary for the state, prompt/compiler for prompts, handoffs/judge for findings,
tasks/parallel for what runs side by side, loop/runs for the slots)."""
