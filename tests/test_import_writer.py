"""importers/writer.apply: a first import stages every file in one folder (in .agents/.cache/,
which git ignores) and renames it over the empty tasks/, its .gitkeep kept; where that rename
cannot be made, or tasks/ holds tasks, each file is renamed into place; a failure while staging
leaves tasks/ as it was; nothing of the staging folder is left behind."""

from __future__ import annotations

import os

from conftest import cli

TODO = "- [ ] One\n- [ ] Two\n- [x] Three\n"


def setup(repo):
    assert cli(repo, "init").exit_code == 0
    (repo / "TODO.md").write_text(TODO)


def listing(repo) -> list[str]:
    return sorted(os.listdir(repo / ".agents/tasks"))


def leftovers(repo) -> list[str]:
    return [n for n in os.listdir(repo / ".agents/.cache") if n.startswith("import-")]


def test_a_first_import_renames_the_staged_folder_over_the_empty_tasks_folder(
    repo, monkeypatch
):
    setup(repo)
    import agentmd.importers.writer as writer

    renames = []
    real_rename, real_replace = os.rename, os.replace

    def recording(real):
        def call(src, dst):
            if ".agents/tasks" in str(dst) or ".agents/tasks" in str(src):
                renames.append((os.path.basename(src), os.path.basename(dst)))
            return real(src, dst)

        return call

    # (os is one module: these see every rename of the process, hence the filter above)
    monkeypatch.setattr(writer.os, "rename", recording(real_rename))
    monkeypatch.setattr(writer.os, "replace", recording(real_replace))
    result = cli(repo, "import", "checklist", "TODO.md")
    assert result.exit_code == 0, result.output
    staged = f"import-{os.getpid()}.tmp"
    assert renames == [(".gitkeep", ".gitkeep"), (staged, "tasks")]  # no rename a file
    assert listing(repo) == [".gitkeep", "one.md", "three.md", "two.md"]
    assert leftovers(repo) == []
    assert cli(repo, "check").exit_code == 0


def test_where_the_folder_cannot_be_renamed_each_file_is(repo, monkeypatch):
    setup(repo)
    import agentmd.importers.writer as writer

    real = os.rename

    def refusing(src, dst):
        if os.path.basename(dst) == "tasks":
            raise OSError(39, "Directory not empty", str(dst))
        return real(src, dst)

    monkeypatch.setattr(writer.os, "rename", refusing)
    result = cli(repo, "import", "checklist", "TODO.md")
    assert result.exit_code == 0, result.output
    assert listing(repo) == [".gitkeep", "one.md", "three.md", "two.md"]
    assert leftovers(repo) == []


def test_a_failure_while_staging_leaves_tasks_as_it_was(repo, monkeypatch):
    setup(repo)
    import agentmd.importers.writer as writer

    real, written = writer._write_new, []

    def full(path, data):
        written.append(path)
        if len(written) == 2:
            raise OSError(28, "No space left on device", path)
        return real(path, data)

    monkeypatch.setattr(writer, "_write_new", full)
    result = cli(repo, "import", "checklist", "TODO.md")
    assert result.exit_code == 2
    assert "No space left on device" in result.stderr
    assert listing(repo) == [".gitkeep"]
    assert leftovers(repo) == []


def test_a_second_import_renames_each_new_file_beside_the_tasks_there(repo):
    setup(repo)
    assert cli(repo, "import", "checklist", "TODO.md").exit_code == 0
    (repo / "TODO.md").write_text(TODO + "- [ ] Four\n")
    result = cli(repo, "import", "checklist", "TODO.md")
    assert result.stdout.startswith("imported 4 task(s) from TODO.md: 1 new, 0 updated")
    assert listing(repo) == [".gitkeep", "four.md", "one.md", "three.md", "two.md"]
    assert leftovers(repo) == []
