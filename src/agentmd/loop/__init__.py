"""The loop (`agentmd run`): the cycle, its gate, launching workers, their run records."""
