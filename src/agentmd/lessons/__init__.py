"""Lessons from handoffs: listed, adopted into memory or rules, dismissed."""
