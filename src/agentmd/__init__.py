"""agentmd: executable conventions for the Markdown that coding agents keep in .agents/."""

__version__ = "0.1.0"

AGENTS_DIR = ".agents"
JSON_SCHEMA = 1
