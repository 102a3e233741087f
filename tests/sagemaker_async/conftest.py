"""Fixtures of the asynchronous endpoint tests: in-process workers with the asynchronous settings."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from async_support import ASYNC_WORKER_ENV

from model_runner.worker.wiring import WorkerRuntime


@pytest.fixture
def start_worker(in_process_worker: Callable[..., Any]) -> Callable[..., WorkerRuntime]:
    """Start in-process workers with :data:`ASYNC_WORKER_ENV`: ``start_worker(**env_overrides)``."""

    def start(**overrides: str) -> WorkerRuntime:
        runtime: WorkerRuntime = in_process_worker(**{**ASYNC_WORKER_ENV, **overrides})
        return runtime

    return start
