"""The emulated SageMaker endpoints of the session's stack, and the emulator's counters as a test
reads them."""

from __future__ import annotations

import json
from typing import Any

import urllib3
from stack_catalog import DETECTOR, FAILING, NARROW, SPLIT

from model_runner.local import LocalStack
from model_runner.local.sagemaker import STATS_PATH

__all__ = ["DETECTOR", "FAILING", "NARROW", "SPLIT", "endpoint_stats"]


def endpoint_stats(stack: LocalStack, endpoint: str) -> dict[str, Any]:
    """What the emulator counted for ``endpoint``: invocations, throttled, answered, variants..."""
    assert stack.sagemaker_runtime_url is not None
    stats: dict[str, dict[str, Any]] = json.loads(
        urllib3.request("GET", stack.sagemaker_runtime_url + STATS_PATH).data
    )
    return stats[endpoint]
