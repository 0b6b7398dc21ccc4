"""What `globs.overlap` answers for a folder glob and a plain file name, by reading: a plain
name with no `/` is any file of that name unless it is a task's own field (`rooted`)."""

from __future__ import annotations

from agentmd.files import globs


def test_a_plain_name_as_a_notes_glob_meets_a_folder_glob_only_through_a_path_under_it():
    # As a note's glob, `pyproject.toml` is any file of that name, as in .gitignore: the
    # path src/x.py/pyproject.toml matches both, so the two can meet.
    assert globs.matches("src/x.py/pyproject.toml", "src/x.py/**")
    assert globs.matches("src/x.py/pyproject.toml", "pyproject.toml")
    assert globs.overlap("src/x.py/**", "pyproject.toml")
    # As a task's field (what `next --parallel` compares), it is the root's file: no overlap.
    assert not globs.overlap("src/x.py/**", "pyproject.toml", rooted_a=True, rooted_b=True)
    # A note's `pyproject.toml` against a task's `src/x.py/**` (routing): any depth, so yes.
    assert globs.overlap("pyproject.toml", "src/x.py/**", rooted_b=True)



def test_a_leading_slash_anchors_a_plain_name_at_the_root_as_in_gitignore():
    assert not globs.overlap("/pyproject.toml", "src/x.py/**", rooted_b=True)
    assert not globs.overlap("./pyproject.toml", "src/x.py/**")
    assert not globs.matches("src/pyproject.toml", "/pyproject.toml")
    assert globs.matches("pyproject.toml", "/pyproject.toml")
    assert globs.overlap("/pyproject.toml", "pyproject.toml", rooted_b=True)
    assert globs.matches("src/a/b.py", "/src/**/*.py")
    assert globs.overlap("pyproject.toml", "*.toml", rooted_a=True, rooted_b=True)
