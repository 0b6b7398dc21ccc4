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
