"""The Anthropic API and what uses it: exact token counts, review, decompose."""
