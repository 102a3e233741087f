"""Fixtures of the asynchronous endpoint tests: the stack, in-process workers."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator

import pytest
from async_support import ENDPOINTS, MODELS, worker_env

from model_runner.config import load_settings
from model_runner.local import LocalStack, start_local_stack
from model_runner.worker.wiring import WorkerRuntime, build_worker


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    """The local stack with the asynchronous endpoints; the dummy credentials in the environment."""
    with start_local_stack(MODELS, sagemaker_endpoints=ENDPOINTS) as running:
        saved = {name: os.environ.get(name) for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
        os.environ.update({name: running.env[name] for name in saved})
        yield running
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.fixture
def start_worker(stack: LocalStack) -> Iterator[Callable[..., WorkerRuntime]]:
    """Start in-process workers: ``start_worker(**env_overrides)``; all stopped after the test."""
    running: list[tuple[WorkerRuntime, threading.Thread]] = []

    def start(**overrides: str) -> WorkerRuntime:
        runtime = build_worker(load_settings(worker_env(stack, **overrides)))
        thread = threading.Thread(target=runtime.worker.run, name="async-worker", daemon=True)
        thread.start()
        running.append((runtime, thread))
        return runtime

    yield start
    for runtime, _ in running:
        runtime.shutdown.set()
    for runtime, thread in running:
        thread.join(timeout=60)
        runtime.close()
