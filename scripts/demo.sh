#!/usr/bin/env bash
# One job end to end on the embedded local stack: installs what is missing, then `model-runner demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/model-runner demo "$@"
