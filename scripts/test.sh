#!/usr/bin/env bash
# The whole test suite: installs what is missing, then lint, type checks and pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION=1
echo "== ruff"; ruff check src tests cdk; ruff format --check src tests cdk
echo "== mypy"; mypy; MYPYPATH=src:cdk:tests/cdk mypy --strict cdk/app.py cdk/model_runner_cdk tests/cdk
echo "== hadolint"; bash scripts/lint-dockerfile.sh
echo "== pytest"; pytest "$@"
