"""`agentmd export checklist`: a claimed task's line under In Progress says who holds it and
since when (a stamp, not an age, so the page stays the same from one run to the next); a task
in review says so; a blocked task under Pending says why."""

from __future__ import annotations

from conftest import cli, git


def test_in_progress_lines_name_the_owner_and_since_when_and_blocked_ones_why(
    repo, monkeypatch
):
    assert cli(repo, "init").exit_code == 0
    (repo / "TODO.md").write_text("- [ ] Write the parser\n- [ ] Write the docs\n- [ ] Ship\n")
    assert cli(repo, "import", "checklist", "TODO.md").exit_code == 0
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "plan")
    monkeypatch.setenv("AGENTMD_NOW", "2026-11-21T08:00:00Z")
    assert cli(repo, "claim", "write-the-parser", "--as", "ana").exit_code == 0
    assert cli(repo, "block", "ship", "--reason", "waiting for the 2.0 tag").exit_code == 0
    page = cli(repo, "export", "checklist")
    assert page.exit_code == 0, page.output
    assert (
        "## In Progress (1)\n\n- [ ] `write-the-parser` Write the parser (ana, since "
        "2026-11-21T08:00:00Z)\n\n" in page.stdout
    )
    assert (
        "## Pending (2)\n\n- [ ] `write-the-docs` Write the docs (ready)\n"
        "- [ ] `ship` Ship (blocked: waiting for the 2.0 tag)\n" in page.stdout
    )
    monkeypatch.setenv("AGENTMD_NOW", "2026-11-25T08:00:00Z")
    assert cli(repo, "export", "checklist").stdout == page.stdout  # no age: the same page
