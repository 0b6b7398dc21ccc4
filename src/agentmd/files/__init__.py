"""One front-mattered file: read defensively, locate errors, edit surgically, write atomically."""
