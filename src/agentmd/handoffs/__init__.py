"""Handoffs: their sections, what a text says, judging one against git, drafting one."""
