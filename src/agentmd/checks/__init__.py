"""`agentmd check`: its passes, the field checks, budgets and the safe fixes."""
