"""What the test session's one local stack serves: the built-in models, and the emulated SageMaker
endpoints (real-time and asynchronous) in front of them. Each endpoint's name says what it is for."""

from __future__ import annotations

from dataclasses import replace

from model_runner.local import ModelSpec
from model_runner.local.sagemaker import EmulatedAsyncConfig, EmulatedEndpoint, EmulatedVariant
from model_runner.local.shared_endpoints import SharedScenario, shared_endpoints
from model_runner.local.stack import LOCAL_ASYNC_CONFIG

MODELS = {
    "centerpoint": ModelSpec(kind="centerpoint"),
    "flood": ModelSpec(kind="flood", count=5),
    "mixed": ModelSpec(kind="failure", failure_mode="mixed", failure_fraction=0.3),
    "broken": ModelSpec(kind="failure", failure_mode="http_500"),
}

DETECTOR = "detector"
"""One variant serving the centerpoint model."""
NARROW = "narrow"
"""The centerpoint model, one invocation in flight at once: a second one is throttled."""
SPLIT = "split"
"""Two variants, A and B, weighted 3:1, both serving the centerpoint model."""
FAILING = "failing"
"""The mixed failure model: HTTP 500 for some tiles, centerpoint for the others."""

REAL_TIME_ENDPOINTS = {
    DETECTOR: EmulatedEndpoint.serving("centerpoint"),
    NARROW: EmulatedEndpoint.serving("centerpoint", max_concurrency=1, latency_ms=30),
    SPLIT: EmulatedEndpoint(
        variants=(
            EmulatedVariant("A", "centerpoint", weight=3),
            EmulatedVariant("B", "centerpoint", weight=1),
        )
    ),
    FAILING: EmulatedEndpoint.serving("mixed"),
    # For the detector's own tests (tests/sagemaker): variants of different models and sizes.
    "sm-split": EmulatedEndpoint(
        variants=(
            EmulatedVariant("a", "centerpoint", weight=3, instance_count=2),
            EmulatedVariant("b", "flood", weight=1),
        )
    ),
    "sm-narrow": EmulatedEndpoint.serving("centerpoint", latency_ms=50, max_concurrency=1),
    "sm-broken": EmulatedEndpoint.serving("broken"),
    "sm-queued": EmulatedEndpoint.serving(
        "centerpoint",
        async_config=EmulatedAsyncConfig("s3://mr-results/async", success_topic="arn:aws:sns:x"),
    ),
}

SHARED_SCENARIO = SharedScenario(
    jobs={"ep-small": (1, 2), "ep-medium": (0, 2), "ep-large": (1, 1)},
    large_size=(1024, 1024),
    small_size=(512, 512),
    region_size=512,
    latency_ms=30.0,
    workers=2,
    timeout_s=60.0,
)
"""A tiny shared-endpoints scenario (the bench's, scaled down) for the scheduler's end-to-end test:
its three endpoints (ep-small, ep-medium, ep-large) refuse calls past their capacity."""
REAL_TIME_ENDPOINTS.update(shared_endpoints(SHARED_SCENARIO, "centerpoint"))

ASYNC_ENDPOINTS = {
    "async-flood": EmulatedEndpoint.serving("flood", latency_ms=20, async_config=LOCAL_ASYNC_CONFIG),
    "async-narrow": EmulatedEndpoint.serving(
        "centerpoint", latency_ms=150, max_concurrency=2, async_config=LOCAL_ASYNC_CONFIG
    ),
    "async-flaky": EmulatedEndpoint.serving(
        "centerpoint", failure_rate=0.3, seed=7, async_config=LOCAL_ASYNC_CONFIG
    ),
    "async-twice": EmulatedEndpoint.serving(
        "centerpoint", async_config=replace(LOCAL_ASYNC_CONFIG, notification_copies=2)
    ),
    "async-slow": EmulatedEndpoint.serving("centerpoint", latency_ms=400, async_config=LOCAL_ASYNC_CONFIG),
}

ENDPOINTS = {**REAL_TIME_ENDPOINTS, **ASYNC_ENDPOINTS}
