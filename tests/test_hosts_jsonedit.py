"""hosts.jsonedit, directly: agentmd's entries added to any settings a user may have written
and taken out again give back the very bytes (a property, over generated files)."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from agentmd.hosts import jsonedit
from agentmd.hosts.host_table import HOSTS, group, is_ours

CLAUDE = HOSTS["claude"]
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=8))
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
user_group = st.fixed_dictionaries(
    {"hooks": st.lists(st.fixed_dictionaries({"type": st.just("command"),
                                              "command": st.sampled_from(["say hi", "ruff"])}),
                       min_size=1, max_size=2)},
    optional={"matcher": st.sampled_from(["Edit", "startup", ""])},
)  # fmt: skip
# Not empty: an empty "hooks" or event list the user left is taken out with agentmd's entry
# (it cannot be told from one agentmd made; docs/integrations.md says so).
hooks = st.dictionaries(
    st.sampled_from(["Stop", "SessionStart", "PreCompact", "PostToolUse"]),
    st.lists(user_group, min_size=1, max_size=2),
    min_size=1,
    max_size=3,
)
settings_value = st.dictionaries(
    st.text(max_size=6).filter(lambda k: k not in ("hooks", "mcpServers")), values, max_size=4
).flatmap(lambda top: st.one_of(st.just(top), hooks.map(lambda h: {**top, "hooks": h})))
styles = st.sampled_from([None, 0, 1, 2, 4, "\t", "   "])


def render(value, indent) -> str:
    separators = (",", ":") if indent is None else None
    return json.dumps(value, indent=indent, separators=separators) + "\n"


@settings(max_examples=150, deadline=None)
@given(settings_value, styles)
def test_add_then_remove_gives_back_the_bytes_and_keeps_the_users_values(value, indent):
    original = render(value, indent)
    text = original
    for event in CLAUDE.events:
        text = jsonedit.add(text, "s.json", ("hooks", event.host_event), group(CLAUDE, event))
    server = {"command": "agentmd", "args": ["mcp"]}
    text = jsonedit.add(text, "s.json", ("mcpServers",), server, key="agentmd")
    merged = json.loads(text)
    for key, item in value.items():
        if key != "hooks":
            assert merged[key] == item
    for event, groups in value.get("hooks", {}).items():
        assert merged["hooks"][event][: len(groups)] == groups
    assert merged["mcpServers"]["agentmd"] == server
    for event in CLAUDE.events:
        assert is_ours("", merged["hooks"][event.host_event][-1])
        text = jsonedit.remove(text, "s.json", ("hooks", event.host_event), is_ours)
    text = jsonedit.remove(text, "s.json", ("mcpServers",), lambda key, _v: key == "agentmd")
    if value:
        assert text == original
    else:
        assert json.loads(text) == {}


def test_a_value_that_is_not_an_object_where_one_belongs_is_located():
    import pytest

    from agentmd.errors import LocatedError

    with pytest.raises(LocatedError) as caught:
        jsonedit.add('{"hooks": {"Stop": {"x": 1}}}', "s.json", ("hooks", "Stop"), {"a": 1})
    assert caught.value.problem.render() == (
        "s.json:1:20: error bad-json: 'hooks.Stop' should be a list\n"
        "  hint: fix it by hand, or move it aside, and run setup again"
    )
