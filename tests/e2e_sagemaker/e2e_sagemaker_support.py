"""The SageMaker end-to-end stack: built-in models behind emulated endpoints, and the emulator's
counters as a test reads them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import urllib3
from e2e_support import running_stack

from model_runner.local import LocalStack
from model_runner.local.sagemaker import STATS_PATH, EmulatedEndpoint, EmulatedVariant

DETECTOR = "detector"
"""One variant serving the centerpoint model."""
NARROW = "narrow"
"""The centerpoint model, one invocation in flight at once: a second one is throttled."""
SPLIT = "split"
"""Two variants, A and B, weighted 3:1, both serving the centerpoint model."""
FAILING = "failing"
"""The mixed failure model: HTTP 500 for some tiles, centerpoint for the others."""
ENDPOINTS = {
    DETECTOR: EmulatedEndpoint.serving("centerpoint"),
    NARROW: EmulatedEndpoint.serving("centerpoint", max_concurrency=1, latency_ms=30),
    SPLIT: EmulatedEndpoint(
        variants=(
            EmulatedVariant("A", "centerpoint", weight=3),
            EmulatedVariant("B", "centerpoint", weight=1),
        )
    ),
    FAILING: EmulatedEndpoint.serving("mixed"),
}


@pytest.fixture(scope="session")
def stack() -> Iterator[LocalStack]:
    """The local stack with :data:`ENDPOINTS`."""
    with running_stack(sagemaker_endpoints=ENDPOINTS) as running:
        yield running


def endpoint_stats(stack: LocalStack, endpoint: str) -> dict[str, Any]:
    """What the emulator counted for ``endpoint``: invocations, throttled, answered, variants..."""
    assert stack.sagemaker_runtime_url is not None
    stats: dict[str, dict[str, Any]] = json.loads(
        urllib3.request("GET", stack.sagemaker_runtime_url + STATS_PATH).data
    )
    return stats[endpoint]
