#!/usr/bin/env bash
# The whole test suite: installs what is missing, then lint, type checks and pytest. The worker image
# is built in the background meanwhile (scripts/build-image.sh, its steps in build/image-build.out):
# the container tests run last, and their build waits for that one and reuses its layers.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --debian

mkdir -p build
export IMAGE_BUILD_OUTPUT="$PWD/build/image-build.out"
CONTAINER_ENGINE=buildah IMAGE_BUILD_LOG=build/image-build-background.log \
    setsid bash scripts/build-image.sh >"$IMAGE_BUILD_OUTPUT" 2>&1 </dev/null &
image_build=$!
# A build still running when this script ends (a check failed, or pytest ran no container test) stops.
trap 'kill -- "-$image_build" 2>/dev/null || true' EXIT

bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION=1
echo "== ruff"; ruff check src tests cdk; ruff format --check src tests cdk
echo "== mypy"; mypy; MYPYPATH=src:cdk:tests/cdk mypy --strict cdk/app.py cdk/model_runner_cdk tests/cdk
echo "== hadolint"; bash scripts/lint-dockerfile.sh
echo "== pytest"; pytest "$@"
