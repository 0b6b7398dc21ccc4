#!/usr/bin/env bash
# Set up .venv when needed, write the built-in example plan into a fresh git repository, and
# show the prompt `agentmd next` compiles for it.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[dev]'
agentmd="$PWD/.venv/bin/agentmd"
demo=$(mktemp -d "${TMPDIR:-/tmp}/agentmd-demo.XXXXXX")
git -C "$demo" init -q
"$agentmd" -C "$demo" init --example
echo
echo "\$ agentmd next --explain"
"$agentmd" -C "$demo" next --explain
echo
echo "\$ agentmd next"
"$agentmd" -C "$demo" next
echo
echo "(the example plan is in $demo/.agents)"
