"""`agentmd setup HOST`: merged into the user's settings byte for byte, a second run changes
nothing, --remove gives the original bytes back; the AGENTS.md block; MCP; the plugin."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import cli

# The user's own hooks, a key agentmd does not know, odd spacing, a final newline missing nowhere.
USER_SETTINGS = """{
    "permissions" :{"allow": ["Bash(npm test:*)"],   "deny": []},
    "hooks": {
        "Stop": [
            { "hooks": [ { "type": "command", "command": "notify-send done" } ] }
        ],
        "PostToolUse": [{"matcher": "Edit", "hooks": [{"type": "command", "command": "ruff"}]}]
    },
    "x-team-note":   "keep me",
    "env": {"FOO":"1"}
}
"""
MERGED = """{
    "permissions" :{"allow": ["Bash(npm test:*)"],   "deny": []},
    "hooks": {
        "Stop": [
            { "hooks": [ { "type": "command", "command": "notify-send done" } ] },
            {
                "hooks": [
                    {
                        "type": "command",
                        "command": "agentmd hook claude stop"
                    }
                ]
            }
        ],
        "PostToolUse": [{"matcher": "Edit", "hooks": [{"type": "command", "command": "ruff"}]}],
        "SessionStart": [
            {
                "matcher": "startup|resume|clear|compact",
                "hooks": [
                    {
                        "type": "command",
                        "command": "agentmd hook claude session-start"
                    }
                ]
            }
        ],
        "PreCompact": [
            {
                "hooks": [
                    {
                        "type": "command",
                        "command": "agentmd hook claude pre-compact"
                    }
                ]
            }
        ]
    },
    "x-team-note":   "keep me",
    "env": {"FOO":"1"}
}
"""
USER_AGENTS = "# Agents\n\nRun `make test` before you commit.\n"


def test_setup_claude_merges_into_the_users_settings_and_remove_restores_the_bytes(example):
    settings = example / ".claude/settings.json"
    settings.parent.mkdir()
    settings.write_text(USER_SETTINGS)
    (example / "AGENTS.md").write_text(USER_AGENTS)
    result = cli(example, "setup", "claude")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[:2] == ["updated .claude/settings.json", "updated AGENTS.md"]
    assert settings.read_text() == MERGED
    assert json.loads(MERGED)["x-team-note"] == "keep me"
    agents = (example / "AGENTS.md").read_text()
    assert agents.startswith(USER_AGENTS + "\n<!-- agentmd:workflow:start -->\n")
    assert agents.endswith("<!-- agentmd:workflow:end -->\n")
    second = cli(example, "setup", "claude")
    assert second.stdout.splitlines()[0] == "Claude Code: nothing to change"
    assert settings.read_text() == MERGED
    removed = cli(example, "setup", "claude", "--remove")
    assert removed.exit_code == 0, removed.output
    assert removed.stdout == "updated .claude/settings.json\nupdated AGENTS.md\n"
    assert settings.read_bytes() == USER_SETTINGS.encode()
    assert (example / "AGENTS.md").read_bytes() == USER_AGENTS.encode()


def test_setup_in_a_repository_without_settings_creates_them_and_remove_takes_them_away(example):
    assert cli(example, "setup", "claude").exit_code == 0
    data = json.loads((example / ".claude/settings.json").read_text())
    assert list(data["hooks"]) == ["SessionStart", "PreCompact", "Stop"]
    assert data["hooks"]["SessionStart"][0]["matcher"] == "startup|resume|clear|compact"
    assert cli(example, "setup", "claude", "--remove").exit_code == 0
    assert not (example / ".claude").exists()
    assert not (example / "AGENTS.md").exists()
    assert (example / ".agents/plan.md").exists()


def test_dry_run_prints_the_diff_and_writes_nothing(example):
    result = cli(example, "setup", "claude", "--dry-run")
    assert result.exit_code == 0
    assert result.stdout.startswith("--- /dev/null\n+++ b/.claude/settings.json\n")
    assert '+            "command": "agentmd hook claude stop"\n' in result.stdout
    assert "+<!-- agentmd:workflow:start -->\n" in result.stdout
    assert not (example / ".claude").exists()
    assert not (example / "AGENTS.md").exists()


def test_settings_that_are_not_json_are_a_located_error_and_nothing_is_written(example):
    settings = example / ".claude/settings.json"
    settings.parent.mkdir()
    settings.write_text('{\n  "hooks": {},\n  // a comment\n}\n')
    result = cli(example, "setup", "claude")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == (
        ".claude/settings.json:3:3: error bad-json: Expecting property name enclosed in double "
        "quotes"
    )
    assert settings.read_text() == '{\n  "hooks": {},\n  // a comment\n}\n'
    assert not (example / "AGENTS.md").exists()


def test_hooks_that_is_not_an_object_is_refused_where_it_stands(example):
    settings = example / ".claude/settings.json"
    settings.parent.mkdir()
    settings.write_text('{\n  "hooks": [1, 2]\n}\n')
    result = cli(example, "setup", "claude")
    assert result.exit_code == 2
    assert result.stderr.startswith(
        ".claude/settings.json:2:12: error bad-json: 'hooks' should be an object"
    )


def test_codex_and_gemini_get_their_own_files_and_events(example):
    assert cli(example, "setup", "codex", "--mcp").exit_code == 0
    codex = json.loads((example / ".codex/hooks.json").read_text())
    assert {e: g[0]["hooks"][0]["command"] for e, g in codex["hooks"].items()} == {
        "SessionStart": "agentmd hook codex session-start",
        "PreCompact": "agentmd hook codex pre-compact",
        "Stop": "agentmd hook codex stop",
    }
    # Codex's SessionStart has a `compact` source too (openai/codex#21272): the prompt comes back
    assert codex["hooks"]["SessionStart"][0]["matcher"] == "startup|resume|clear|compact"
    assert (example / ".codex/config.toml").read_text() == (
        '[mcp_servers.agentmd]\ncommand = "agentmd"\nargs = ["mcp"]\n'
    )
    gemini_file = example / ".gemini/settings.json"
    gemini_file.parent.mkdir()
    gemini_file.write_text('{\n  "theme": "GitHub"\n}\n')
    assert cli(example, "setup", "gemini", "--mcp").exit_code == 0
    gemini = json.loads(gemini_file.read_text())
    assert gemini["theme"] == "GitHub"
    assert {e: g[0]["hooks"][0]["command"] for e, g in gemini["hooks"].items()} == {
        "SessionStart": "agentmd hook gemini session-start",
        "PreCompress": "agentmd hook gemini pre-compress",
        "AfterAgent": "agentmd hook gemini after-agent",
    }
    assert gemini["mcpServers"] == {"agentmd": {"command": "agentmd", "args": ["mcp"]}}
    assert cli(example, "setup", "gemini", "--remove").exit_code == 0
    assert gemini_file.read_text() == '{\n  "theme": "GitHub"\n}\n'
    assert cli(example, "setup", "codex", "--remove").exit_code == 0
    assert not (example / ".codex").exists()


def test_claude_mcp_goes_into_the_projects_mcp_json_beside_the_users_servers(example):
    mcp = example / ".mcp.json"
    mcp.write_text('{"mcpServers": {"db": {"command": "db-mcp"}}}\n')
    assert cli(example, "setup", "claude", "--mcp").exit_code == 0
    assert mcp.read_text() == (
        '{"mcpServers": {"db": {"command": "db-mcp"}, '
        '"agentmd": {"command": "agentmd", "args": ["mcp"]}}}\n'
    )
    assert cli(example, "setup", "claude", "--remove").exit_code == 0
    assert mcp.read_text() == '{"mcpServers": {"db": {"command": "db-mcp"}}}\n'


def test_hosts_without_hooks_get_only_the_agents_md_block_within_rules_budget(example):
    result = cli(example, "setup", "cursor")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == "created AGENTS.md"
    tokens = result.stdout.splitlines()[1]
    assert tokens.startswith("AGENTS.md: ~") and tokens.endswith("of rules_budget 500")
    assert cli(example, "check").exit_code == 0  # the block fits the budget check applies
    assert sorted(p.name for p in example.iterdir() if p.name.startswith(".")) == [
        ".agents",
        ".git",
    ]


def test_the_plugin_has_hooks_a_short_skill_and_slash_commands(example):
    from agentmd.prompt.tokens import ESTIMATE

    assert cli(example, "setup", "claude").exit_code == 0
    result = cli(example, "setup", "claude", "--plugin")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == "removed .claude/settings.json"
    root = example / ".claude/agentmd-plugin"
    manifest = json.loads((root / ".claude-plugin/plugin.json").read_text())
    assert manifest["name"] == "agentmd"
    market = json.loads((root / ".claude-plugin/marketplace.json").read_text())
    assert market["plugins"][0] == {"name": "agentmd", "source": "./",
                                    "description": manifest["description"]}  # fmt: skip
    hooks = json.loads((root / "hooks/hooks.json").read_text())["hooks"]
    assert list(hooks) == ["SessionStart", "PreCompact", "Stop"]
    skill = (root / "skills/agentmd-workflow/SKILL.md").read_text()
    assert skill.startswith("---\nname: agentmd-workflow\ndescription: ")
    assert ESTIMATE.count(skill) < 500
    assert sorted(p.name for p in (root / "commands").iterdir()) == [
        "done.md",
        "handoff.md",
        "next.md",
    ]
    assert "!`agentmd next --claim`" in (root / "commands/next.md").read_text()
    assert not (example / ".claude/settings.json").exists()  # its hooks: not twice
    assert cli(example, "setup", "claude", "--remove").exit_code == 0
    assert not (example / ".claude").exists()


def test_worker_prints_the_command_line_and_writes_nothing(example):
    result = cli(example, "setup", "claude", "--worker")
    assert result.exit_code == 0
    assert result.stdout.startswith(
        "claude -p --output-format json --permission-mode acceptEdits --allowedTools "
        "'Bash(git add:*)' "
        "'Bash(git commit:*)'"
    )
    assert "'Bash(agentmd:*)'" in result.stdout
    codex = cli(example, "setup", "codex", "--worker").stdout
    assert codex == (
        "codex exec --sandbox workspace-write "
        '--add-dir "$(git rev-parse --path-format=absolute --git-common-dir)" -\n'
    )
    assert cli(example, "setup", "gemini", "--worker").stdout.startswith(
        "gemini --approval-mode auto_edit --allowed-tools 'run_shell_command(git add)'"
    )
    assert not (example / "AGENTS.md").exists()
    refused = cli(example, "setup", "cursor", "--worker")
    assert refused.exit_code == 2 and "cursor has no non-interactive mode" in refused.stderr


def test_setup_outside_a_workspace_says_so(tmp_path: Path):
    result = cli(tmp_path, "setup", "claude")
    assert result.exit_code == 2
    assert "no .agents/ folder" in result.stderr


def test_settings_that_are_not_utf8_are_a_located_error(example):
    settings = example / ".claude/settings.json"
    settings.parent.mkdir()
    settings.write_bytes(b'{"env": {"NAME": "caf\xe9"}}\n')
    result = cli(example, "setup", "claude")
    assert result.exit_code == 2
    assert result.stderr.startswith(".claude/settings.json:1:")
    assert "UTF-8" in result.stderr or "utf-8" in result.stderr
    assert settings.read_bytes() == b'{"env": {"NAME": "caf\xe9"}}\n'


def test_the_agents_md_block_stays_while_another_host_is_still_set_up(example):
    assert cli(example, "setup", "codex").exit_code == 0
    assert cli(example, "setup", "gemini").exit_code == 0
    removed = cli(example, "setup", "gemini", "--remove")
    assert removed.stdout == (
        "removed .gemini/settings.json\n"
        "kept the workflow block in AGENTS.md: Codex CLI still set up\n"
    )
    assert "<!-- agentmd:workflow:start -->" in (example / "AGENTS.md").read_text()
    assert cli(example, "setup", "codex", "--remove").stdout == (
        "removed .codex/hooks.json\nremoved AGENTS.md\n"
    )
    assert not (example / "AGENTS.md").exists()
