"""Doors into the agent hosts: what a session starts with (prime), the hooks and settings of
Claude Code, Codex and Gemini CLI, the managed AGENTS.md block, worker lines, the MCP server."""
