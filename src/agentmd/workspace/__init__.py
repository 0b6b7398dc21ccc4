"""The .agents/ folder: finding it, its index and caches, typed records, scaffolding."""
