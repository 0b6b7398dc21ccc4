"""`agentmd decompose` against the fake API: valid tasks written, invalid answers sent back once,
nothing written unless everything is valid."""

from __future__ import annotations

import json

import pytest

from agentmd.api.decompose import file_list
from conftest import cli, git, run_agentmd
from fake_anthropic import error, malformed, tool_use

NOW = "2026-11-22T09:30:00Z"


def task(task_id: str, **changes) -> dict:
    data = {
        "id": task_id,
        "title": f"Write {task_id}",
        "priority": "medium",
        "depends_on": [],
        "inputs": ["src/tally/__init__.py"],
        "outputs": [f"src/tally/{task_id}.py", f"tests/test_{task_id}.py"],
        "verify": [f"python -m pytest tests/test_{task_id}.py -q"],
        "goal": f"A {task_id} module.",
        "acceptance": [f"{task_id} works", "tests pass"],
    }
    return {**data, **changes}


GOOD = [
    task("reader", priority="high"),
    task("writer", depends_on=["reader", "tokenizer"], notes="Mind the BOM."),
]


@pytest.fixture
def plan(example, monkeypatch):
    monkeypatch.setenv("AGENTMD_NOW", NOW)
    return example


def test_decompose_writes_valid_tasks_that_next_can_compile(plan, fake_api):
    fake_api.messages = [tool_use("write_tasks", {"tasks": GOOD})]
    result = cli(plan, "decompose", "Read and write tally files")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert [line.split(" (")[0] for line in lines] == [
        "wrote .agents/tasks/reader.md",
        "wrote .agents/tasks/writer.md",
    ]
    assert (plan / ".agents/tasks/writer.md").read_text() == (
        "---\n"
        "title: Write writer\n"
        "status: todo\n"
        "priority: medium\n"
        "depends_on: [reader, tokenizer]\n"
        "inputs: [src/tally/__init__.py]\n"
        "outputs: [src/tally/writer.py, tests/test_writer.py]\n"
        "verify:\n"
        "  - python -m pytest tests/test_writer.py -q\n"
        "created: 2026-11-22\n"
        f"planned_at: {git(plan, 'rev-parse', 'HEAD').strip()}\n"
        "---\n"
        "## Goal\n\nA writer module.\n\n"
        "## Acceptance criteria\n\n- [ ] writer works\n- [ ] tests pass\n\n"
        "## Notes\n\nMind the BOM.\n"
    )
    log = (plan / ".agents/memory/log.md").read_text()
    assert f"- {NOW} add reader: Write reader\n- {NOW} add writer: Write writer\n" in log
    shown = json.loads(cli(plan, "show", "writer", "--json").stdout)["task"]
    assert shown["depends_on"] == ["reader", "tokenizer"] and shown["ready"] is False
    (request,) = fake_api.calls("/v1/messages")
    system = "\n".join(block["text"] for block in request.body["system"])
    assert "## The repository's files\n\nREADME.md" in system
    assert "- tokenizer (todo): Split text into words" in system
    assert request.body["system"][-1]["cache_control"] == {"type": "ephemeral"}
    assert (
        request.body["messages"][0]["content"]
        == "Decompose this intent into tasks:\n\nRead and write tally files"
    )


def test_an_invalid_answer_is_sent_back_once_and_the_second_is_written(plan, fake_api):
    bad = [
        task("reader", depends_on=["writer"]),
        task("writer", depends_on=["reader", "ghost"]),
        task("tokenizer"),
        task("Bad/id"),
        task("leaky", outputs=["../outside.py"], verify=[]),
    ]
    fake_api.messages = [
        tool_use("write_tasks", {"tasks": bad}),
        tool_use("write_tasks", {"tasks": GOOD}, "toolu_02"),
    ]
    result = cli(plan, "decompose", "Read and write tally files")
    assert result.exit_code == 0, result.output
    first, second = fake_api.calls("/v1/messages")
    feedback = second.body["messages"][2]["content"][0]
    assert feedback["tool_use_id"] == "toolu_01" and feedback["is_error"] is True
    assert feedback["content"] == (
        "This answer cannot be used:\n"
        "- task 'writer': depends on 'ghost', which is neither in the answer nor in the plan\n"
        "- task 'tokenizer': a task with this id exists already in .agents/tasks/\n"
        "- task 'Bad/id': 'Bad/id' is not a valid task id\n"
        "- task 'leaky': verify must name at least one\n"
        "- dependency cycle: reader -> writer -> reader\n"
        "Call write_tasks again with every problem fixed."
    )
    assert second.body["messages"][1] == {
        "role": "assistant",
        "content": [
            {"type": "tool_use", "id": "toolu_01", "name": "write_tasks", "input": {"tasks": bad}}
        ],
    }
    assert (plan / ".agents/tasks/reader.md").is_file() and (
        plan / ".agents/tasks/writer.md"
    ).is_file()


def test_two_invalid_answers_write_nothing_and_exit_1(plan, fake_api):
    before = sorted(p.name for p in (plan / ".agents/tasks").iterdir())
    leaky = [task("leaky", outputs=["/etc/passwd"])]
    fake_api.messages = [tool_use("write_tasks", {"tasks": leaky})] * 2
    result = cli(plan, "decompose", "Break things")
    assert result.exit_code == 1
    assert result.stderr == (
        "agentmd: error: the model's tasks are not valid, "
        "even when asked again; nothing was written:\n"
        "  - task 'leaky': output '/etc/passwd' is outside the repository\n"
        "  hint: run agentmd decompose again, with a narrower "
        "intent, or try another `model:` in .agents/plan.md\n"
    )
    assert sorted(p.name for p in (plan / ".agents/tasks").iterdir()) == before


def test_a_task_whose_prompt_cannot_fit_the_budget_is_refused(plan, fake_api):
    huge = [task("huge", goal="word " * 3000)]
    fake_api.messages = [tool_use("write_tasks", {"tasks": huge})] * 2
    result = cli(plan, "decompose", "Everything at once", "--budget", "2000")
    assert result.exit_code == 1
    assert "  - task 'huge': its prompt needs about " in result.stderr
    assert "and the budget is 2,000; split it\n" in result.stderr
    assert not (plan / ".agents/tasks/huge.md").exists()


def test_dry_run_prints_the_files_and_writes_none(plan, fake_api):
    fake_api.messages = [tool_use("write_tasks", {"tasks": GOOD[:1]})]
    result = cli(plan, "decompose", "Read tally files", "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("==> .agents/tasks/reader.md <==\n---\ntitle: Write reader\n")
    assert result.stderr == "1 tasks valid; nothing written (--dry-run)\n"
    assert not (plan / ".agents/tasks/reader.md").exists()


def test_the_intent_can_come_from_a_file(plan, fake_api):
    (plan / "intent.md").write_text("Read tally files\n")
    fake_api.messages = [tool_use("write_tasks", {"tasks": GOOD[:1]})]
    result = cli(plan, "decompose", "--from", "intent.md", "--json")
    assert result.exit_code == 0, result.output
    assert [t["id"] for t in json.loads(result.stdout)["tasks"]] == ["reader"]
    assert fake_api.requests[0].body["messages"][0]["content"].endswith("\n\nRead tally files")


def test_intent_and_from_together_are_a_usage_error(plan):
    result = cli(plan, "decompose", "x", "--from", "y.md")
    assert result.exit_code == 2
    assert "give the intent as an argument or with --from FILE (one of them)" in result.stderr


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (error(401), "the Anthropic API refused the key (401 authentication_error: fake 401)"),
        (
            error(403),
            "the key may not use model 'claude-sonnet-5-5' here (403 permission_error: fake 403)",
        ),
        (
            error(404),
            "not found (404 not_found_error: fake 404): is 'claude-sonnet-5-5' a model id?",
        ),
        (malformed(), "the Anthropic API sent an answer that cannot be read: "),
    ],
)
def test_a_refused_or_unreadable_call_is_one_clear_error_and_writes_nothing(
    plan, fake_api, reply, message
):
    fake_api.messages = [reply]
    result = cli(plan, "decompose", "Read tally files")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"agentmd: error: {message}")
    assert len(fake_api.calls("/v1/messages")) == 1  # not retried
    assert not (plan / ".agents/tasks/reader.md").exists()


def test_decompose_without_a_key_says_so_in_one_line(plan):
    result = cli(plan, "decompose", "Read tally files")
    assert result.exit_code == 2
    assert result.stderr == (
        "agentmd: error: ANTHROPIC_API_KEY is not set: this "
        "command asks the Anthropic API and needs a key\n"
    )


def test_a_long_file_list_folds_deep_folders_into_counts_then_cuts():
    paths = (
        ["README.md"]
        + [f"src/pkg/mod{n}.py" for n in range(50)]
        + [f"tests/test_{n}.py" for n in range(50)]
    )
    assert file_list(paths, 10_000) == ("\n".join(paths), "")
    assert file_list(paths, 300) == (
        "README.md\nsrc/pkg/ (50 files)\n" + "\n".join(f"tests/test_{n}.py" for n in range(50)),
        "101 files; folders below 2 level(s) are shown as counts",
    )
    assert file_list(paths, 20) == (
        "README.md\nsrc/ (50 files)\ntests/ (50 files)",
        "101 files; folders below 1 level(s) are shown as counts",
    )
    assert file_list(paths, 10) == (
        "README.md\nsrc/ (50 files)",
        "1 more entries left out to fit the budget",
    )


def test_the_console_script_reaches_the_fake_through_the_environment(plan, fake_api):
    fake_api.messages = [tool_use("write_tasks", {"tasks": GOOD[:1]})]
    result = run_agentmd(plan, "decompose", "Read tally files", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("==> .agents/tasks/reader.md <==\n")
    assert len(fake_api.calls("/v1/messages")) == 1
