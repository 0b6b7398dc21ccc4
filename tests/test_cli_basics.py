from conftest import cli


def test_next_on_the_example_prints_the_tokenizer_prompt(example):
    result = cli(example, "next")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("# Split text into words\n")


def test_outside_a_workspace_says_how_to_start(tmp_path):
    result = cli(tmp_path, "list")
    assert result.exit_code == 2
    assert "no .agents/ folder" in result.stderr
    assert "agentmd init" in result.stderr


def test_a_task_of_a_status_no_plan_knows_is_said_to_be_never_handed_out(example):
    # (it was in none of next --explain's and status's lists, and list gave no reason, its
    # status overflowing the column)
    path = example / ".agents/tasks/readme-usage.md"
    path.write_text(path.read_text().replace("status: todo", "status: in-progress", 1))
    why = (
        "status 'in-progress' is none of todo, active, review, done, failed, blocked: never "
        "handed out"
    )
    listed = cli(example, "list").stdout.splitlines()
    assert listed[4] == (
        "readme-usage      in-progress  low     Document usage in the README  (never ready: the "
        "status is none of plan.md's statuses)"
    )
    assert listed[5] == "tokenizer         ready        high    Split text into words"
    explained = cli(example, "next", "--explain").stdout
    assert "blocked (4):\n  cli: depends on 'counter' (todo)\n" in explained
    assert f"  readme-usage: {why}\n" in explained
    assert f"  readme-usage: {why}\n" in cli(example, "status").stdout
