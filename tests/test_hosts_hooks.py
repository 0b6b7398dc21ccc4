"""The hooks `agentmd setup` wires into the hosts: each fed the documented JSON on stdin, the
exact JSON and exit code asserted back; and a whole session's sequence in a real repository."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import TOKENIZER_HANDOFF, base_of, cli, git, run_agentmd

ALICE = {"AGENTMD_AGENT": "alice"}


def claude(repo: Path, event: str, env: dict | None = None, **fields):
    payload = {
        "session_id": fields.pop("session_id", "abc123"),
        "transcript_path": str(repo / "transcript.jsonl"),
        "cwd": str(repo),
        "hook_event_name": {"session-start": "SessionStart", "pre-compact": "PreCompact",
                            "stop": "Stop"}[event],
        **fields,
    }  # fmt: skip
    result = cli(repo, "hook", "claude", event, input=json.dumps(payload), env=env or ALICE)
    return result.exit_code, (json.loads(result.stdout) if result.stdout.strip() else None)


def prime_text(repo: Path, env: dict | None = None) -> str:
    result = cli(repo, "prime", "--max-chars", "9500", env=env or ALICE)
    assert result.exit_code == 0, result.output
    return result.stdout


def claimed(example: Path) -> Path:
    assert cli(example, "next", "--claim", "--as", "alice").exit_code == 0
    return example


def test_session_start_injects_the_held_tasks_prompt_as_additional_context(example):
    repo = claimed(example)
    code, out = claude(repo, "session-start", source="startup")
    assert code == 0
    assert out == {
        "hookSpecificOutput": {
            "hookEventName": "SessionStart",
            "additionalContext": prime_text(repo),
        }
    }
    context = out["hookSpecificOutput"]["additionalContext"]
    assert context.startswith("agentmd: this session holds task `tokenizer` (claimed by alice).")
    assert "# Split text into words\n" in context
    assert len(context) <= 9500


def test_session_start_without_a_claim_gives_the_orientation(example):
    bob = {"AGENTMD_AGENT": "bob"}
    code, out = claude(example, "session-start", source="startup", env=bob)
    expected = {"hookEventName": "SessionStart", "additionalContext": prime_text(example, bob)}
    assert (code, out) == (0, {"hookSpecificOutput": expected})
    context = out["hookSpecificOutput"]["additionalContext"]
    assert "This session holds no task. Claim one before you change files." in context
    assert "- `tokenizer` (high): Split text into words" in context
    assert "`agentmd next --claim --as NAME`" in context


def test_hooks_in_a_folder_without_agents_say_nothing(tmp_path):
    for event, fields in (("session-start", {"source": "startup"}), ("stop", {}),
                          ("pre-compact", {"trigger": "auto"})):  # fmt: skip
        code, out = claude(tmp_path, event, **fields)
        assert (code, out) == (0, None)


def test_stop_blocks_once_with_the_findings_when_work_has_no_handoff(example):
    repo = claimed(example)
    (repo / "src/tally").mkdir(parents=True, exist_ok=True)
    (repo / "src/tally/tokenize.py").write_text("def words(text):\n    return text.split()\n")
    code, out = claude(repo, "stop", stop_hook_active=False)
    assert code == 0
    base = base_of(repo)
    assert out == {
        "decision": "block",
        "reason": (
            f"agentmd: task `tokenizer` changed 1 file(s) since {base[:12]} "
            "(src/tally/tokenize.py) and has no valid handoff. Before you stop: write it "
            "(`agentmd handoff new tokenizer` if there is none), fill every section, and run "
            "`agentmd handoff check` until it passes.\n"
            ".agents/tasks/tokenizer.md:3:1: error handoff-missing: task 'tokenizer' is active "
            "but has no handoff\n"
            "  hint: write one with 'agentmd handoff new tokenizer', fill it, then "
            "'agentmd handoff check'"
        ),
    }
    # The host sets stop_hook_active when it continues because of a stop hook: never twice.
    assert claude(repo, "stop", stop_hook_active=True) == (0, None)
    # Stop fires at every turn's end: the same session, the same state, is not told again...
    assert claude(repo, "stop", stop_hook_active=False) == (0, None)
    # ...until the work changes, or another session stops.
    (repo / "src/tally/more.py").write_text("x = 1\n")
    assert claude(repo, "stop", stop_hook_active=False)[1]["decision"] == "block"
    other = claude(repo, "stop", stop_hook_active=False, session_id="another")
    assert other[1]["decision"] == "block"


def test_stop_never_blocks_a_session_that_holds_nothing_or_changed_nothing(example):
    assert claude(example, "stop", stop_hook_active=False) == (0, None)  # nothing claimed
    repo = claimed(example)
    assert claude(repo, "stop", stop_hook_active=False) == (0, None)  # claimed, nothing changed
    (repo / "notes.txt").write_text("x\n")
    assert claude(repo, "stop", stop_hook_active=False, env={"AGENTMD_AGENT": "bob"}) == (0, None)
    assert claude(repo, "stop", stop_hook_active=False)[1]["decision"] == "block"


def test_pre_compact_drafts_the_handoff_once_and_never_over_the_agents(example):
    repo = claimed(example)
    (repo / "src/tally").mkdir(parents=True, exist_ok=True)
    (repo / "src/tally/tokenize.py").write_text("def words(text):\n    return text.split()\n")
    code, out = claude(repo, "pre-compact", trigger="auto", custom_instructions="")
    drafts = sorted((repo / ".agents/handoffs").glob("*-tokenizer.md"))
    assert code == 0 and len(drafts) == 1
    rel = f".agents/handoffs/{drafts[0].name}"
    assert out == {
        "systemMessage": f"agentmd: drafted {rel} from git before compaction (1 artifact(s)); "
        "fill it before you stop"
    }
    assert "- src/tally/tokenize.py" in drafts[0].read_text()
    drafts[0].write_text(drafts[0].read_text() + "\nThe agent's own words.\n")
    code, out = claude(repo, "pre-compact", trigger="manual", custom_instructions="keep it")
    assert (code, out) == (0, {"systemMessage": f"agentmd: {rel} holds this session's handoff; "
                                                "left as it is"})  # fmt: skip
    assert drafts[0].read_text().endswith("\nThe agent's own words.\n")
    assert sorted((repo / ".agents/handoffs").glob("*-tokenizer.md")) == drafts


def test_bad_hook_input_is_a_non_blocking_error(example):
    result = cli(example, "hook", "claude", "stop", input="{not json", env=ALICE)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        "agentmd hook claude stop: the hook's input is not JSON: Expecting property name "
        "enclosed in double quotes at line 1 column 2\n"
    )
    unknown = cli(example, "hook", "claude", "after-agent", input="{}")
    assert unknown.exit_code == 2 and "claude has no event 'after-agent'" in unknown.stderr


def test_gemini_after_agent_denies_with_the_reason_and_codex_stop_blocks(example):
    repo = claimed(example)
    (repo / "notes.txt").write_text("x\n")
    payload = {"session_id": "s", "cwd": str(repo), "hook_event_name": "AfterAgent",
               "timestamp": "2026-12-01T10:00:00Z", "prompt": "go", "prompt_response": "done",
               "stop_hook_active": False}  # fmt: skip
    result = cli(repo, "hook", "gemini", "after-agent", input=json.dumps(payload), env=ALICE)
    out = json.loads(result.stdout)
    assert result.exit_code == 0 and out["decision"] == "deny"
    assert out["reason"].startswith("agentmd: task `tokenizer` changed 1 file(s)")
    payload["stop_hook_active"] = True
    again = cli(repo, "hook", "gemini", "after-agent", input=json.dumps(payload), env=ALICE)
    assert (again.exit_code, again.stdout) == (0, "")
    codex = {"session_id": "c", "turn_id": "t", "cwd": str(repo), "hook_event_name": "Stop",
             "model": "gpt-5", "stop_hook_active": False}  # fmt: skip
    result = cli(repo, "hook", "codex", "stop", input=json.dumps(codex), env=ALICE)
    assert json.loads(result.stdout)["decision"] == "block"


def test_a_whole_session_start_work_compaction_start_again_stop(example):
    """Start, work, compaction, start with source `compact`, stop: the handoff is on disk and the
    prompt is injected again with it; the stop passes once the handoff is valid. Real processes."""
    repo = claimed(example)

    def hook(event: str, **fields):
        payload = {"session_id": "abc123", "cwd": str(repo), "transcript_path": "/dev/null",
                   "hook_event_name": event, **fields}  # fmt: skip
        name = {"SessionStart": "session-start", "PreCompact": "pre-compact", "Stop": "stop"}
        done = run_agentmd(repo, "hook", "claude", name[event], input=json.dumps(payload),
                           env=ALICE)  # fmt: skip
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout) if done.stdout.strip() else None

    first = hook("SessionStart", source="startup")["hookSpecificOutput"]["additionalContext"]
    assert "# Split text into words\n" in first
    assert "Where the last session stopped" not in first
    (repo / "src/tally").mkdir(parents=True, exist_ok=True)
    (repo / "src/tally/tokenize.py").write_text("def words(text):\n    return text.split()\n")
    git(repo, "add", "src/tally/tokenize.py")
    git(repo, "commit", "-q", "-m", "tokenizer")
    assert hook("PreCompact", trigger="auto", custom_instructions="")["systemMessage"].startswith(
        "agentmd: drafted .agents/handoffs/"
    )
    (draft,) = (repo / ".agents/handoffs").glob("*-tokenizer.md")
    again = hook("SessionStart", source="compact")["hookSpecificOutput"]["additionalContext"]
    assert f"## Where the last session stopped (.agents/handoffs/{draft.name})" in again
    assert "# Split text into words\n" in again
    assert "- src/tally/tokenize.py" in again.split("Where the last session stopped")[1]
    blocked = hook("Stop", stop_hook_active=False)
    assert blocked["decision"] == "block"
    assert f".agents/handoffs/{draft.name}:" in blocked["reason"]
    assert hook("Stop", stop_hook_active=True) is None
    draft.write_text(TOKENIZER_HANDOFF.format(base=base_of(repo)))
    assert cli(repo, "handoff", "check").exit_code == 0
    assert hook("Stop", stop_hook_active=False) is None


def test_a_held_task_whose_file_broke_is_said_in_the_context_not_a_failed_start(example):
    repo = claimed(example)
    task = repo / ".agents/tasks/tokenizer.md"
    task.write_text(task.read_text().replace("title: Split text into words", "title: [broken"))
    code, out = claude(repo, "session-start", source="resume", env={"AGENTMD_TASK": "tokenizer"})
    assert code == 0
    context = out["hookSpecificOutput"]["additionalContext"]
    assert context.startswith("agentmd: this session's start could not be prepared:\n")
    assert ".agents/tasks/tokenizer.md:" in context
    assert context.endswith("then run `agentmd prime`.\n")


def test_gemini_and_codex_start_and_compaction_answer_in_their_documented_shapes(example):
    repo = claimed(example)
    base = {"session_id": "s", "cwd": str(repo), "transcript_path": "/dev/null",
            "timestamp": "2026-12-01T10:00:00Z"}  # fmt: skip
    for host, event, name in (("gemini", "session-start", "SessionStart"),
                              ("codex", "session-start", "SessionStart")):  # fmt: skip
        payload = {**base, "hook_event_name": name, "source": "startup"}
        result = cli(repo, "hook", host, event, input=json.dumps(payload), env=ALICE)
        assert result.exit_code == 0
        assert json.loads(result.stdout) == {
            "hookSpecificOutput": {"hookEventName": "SessionStart",
                                   "additionalContext": prime_text(repo)}
        }  # fmt: skip
    (repo / "notes.txt").write_text("x\n")
    payload = {**base, "hook_event_name": "PreCompress", "trigger": "auto"}
    result = cli(repo, "hook", "gemini", "pre-compress", input=json.dumps(payload), env=ALICE)
    (draft,) = (repo / ".agents/handoffs").glob("*-tokenizer.md")
    assert (result.exit_code, json.loads(result.stdout)) == (0, {
        "systemMessage": f"agentmd: drafted .agents/handoffs/{draft.name} from git before "
        "compaction (1 artifact(s)); fill it before you stop"
    })  # fmt: skip
    payload = {**base, "hook_event_name": "PreCompact", "trigger": "manual"}
    result = cli(repo, "hook", "codex", "pre-compact", input=json.dumps(payload), env=ALICE)
    assert json.loads(result.stdout) == {
        "systemMessage": f"agentmd: .agents/handoffs/{draft.name} holds this session's handoff; "
        "left as it is"
    }
