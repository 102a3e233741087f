"""Fixtures of the asynchronous endpoint tests: a stack whose emulated SageMaker endpoints are
asynchronous, and in-process workers with the asynchronous settings; the e2e helpers reused."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))

from async_support import ASYNC_WORKER_ENV, ENDPOINTS
from e2e_support import in_process_worker, running_stack

from model_runner.local import LocalStack
from model_runner.worker.wiring import WorkerRuntime

__all__ = ["in_process_worker", "stack", "start_worker"]


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    """The local stack with the asynchronous endpoints; the dummy credentials in the environment."""
    with running_stack(sagemaker_endpoints=ENDPOINTS) as running:
        yield running


@pytest.fixture
def start_worker(in_process_worker: Callable[..., Any]) -> Callable[..., WorkerRuntime]:
    """Start in-process workers with :data:`ASYNC_WORKER_ENV`: ``start_worker(**env_overrides)``."""

    def start(**overrides: str) -> WorkerRuntime:
        runtime: WorkerRuntime = in_process_worker(**{**ASYNC_WORKER_ENV, **overrides})
        return runtime

    return start
