#!/usr/bin/env bash
# The whole test suite: installs what is missing, then lint, type checks and pytest. The worker image
# is built in the background meanwhile, at the lowest CPU priority (and disk priority, where the I/O
# scheduler has priorities), its steps in build/image-build.out: the container tests run last, and
# their build waits for that one and reuses its layers.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --debian

mkdir -p build
# One tag per checkout (as tests/e2e/container_support.py names it): test runs of other checkouts on
# this machine build theirs, sharing the layers.
test_image="localhost/model-runner:test-$(pwd -P | sha256sum | cut -c1-12)"
export IMAGE_BUILD_OUTPUT="$PWD/build/image-build.out"
CONTAINER_ENGINE=buildah IMAGE_BUILD_LOG=build/image-build-background.log setsid \
    nice -n 19 ionice -c 2 -n 7 bash scripts/build-image.sh "$test_image" >"$IMAGE_BUILD_OUTPUT" 2>&1 </dev/null &
image_build=$!
# A build still running when this script ends (a check failed, or pytest ran no container test) stops.
trap 'kill -- "-$image_build" 2>/dev/null || true' EXIT

bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION=1
phase() { echo "== $1 (at $SECONDS s)"; }
phase ruff; ruff check src tests cdk; ruff format --check src tests cdk
phase mypy; mypy; MYPYPATH=src:cdk:tests/cdk mypy --strict cdk/app.py cdk/model_runner_cdk tests/cdk
phase hadolint; bash scripts/lint-dockerfile.sh
# Two processes: the end-to-end tests (one local stack) on one, the unit and deployment tests on the other.
phase pytest; pytest -n 2 --dist loadgroup "$@"
