#!/usr/bin/env bash
# Set up .venv when needed, then the gates: agentmd's check of its own .agents/, ruff (lint,
# imports, 100 columns), mypy, and the test suite with its coverage against the floor set in
# pyproject.toml ([tool.coverage.report] fail_under). Any of them failing fails the run.
# Extra arguments go to pytest and skip the coverage floor (e.g. scripts/test.sh -k claim).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[dev]'
# The board's browser tests drive Debian's chromium (never a browser Playwright downloads):
# installed here when missing and we may (CI runs as root); without it those tests skip.
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "scripts/test.sh: installing chromium for the board's browser tests" >&2
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } \
    >/dev/null 2>&1; then
    echo "scripts/test.sh: chromium could not be installed; the browser tests will skip" >&2
  fi
fi
.venv/bin/agentmd check
.venv/bin/ruff check .
.venv/bin/mypy
if [ "$#" -eq 0 ]; then
  set -- --cov --cov-report=term
fi
set +e
.venv/bin/python -m pytest "$@"
code=$?
set -e
if [ "$code" -eq 5 ]; then
  echo "scripts/test.sh: pytest collected no tests; that is a failure, not a pass" >&2
  exit 1
fi
exit "$code"
