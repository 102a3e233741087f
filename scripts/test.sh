#!/usr/bin/env bash
# The whole test suite: installs what is missing, then lint, type checks and pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
echo "== ruff"; ruff check src tests; ruff format --check src tests
echo "== mypy"; mypy
echo "== pytest"; pytest "$@"
