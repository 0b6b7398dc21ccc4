"""Task ids made from titles: what a person would type for them."""

from __future__ import annotations

from agentmd.tasks.lifecycle import slugify
from conftest import cli


def test_an_apostrophe_joins_its_word_instead_of_splitting_it():
    slug = slugify("Document the timed serializer's max_age")
    assert slug == "document-the-timed-serializers-max-age"
    assert slugify("Don’t retry twice") == "dont-retry-twice"
    assert slugify("'quoted' title") == "quoted-title"


def test_the_id_add_prints_is_the_one_a_dependency_can_name(example):
    result = cli(example, "add", "Type the signer's key derivation")
    assert result.stdout == "type-the-signers-key-derivation\n"
    later = cli(example, "add", "Use it", "--depends-on", "type-the-signers-key-derivation")
    assert later.exit_code == 0 and later.stderr == ""
