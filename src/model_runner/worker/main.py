"""``model-runner worker``: read the settings, build the worker, poll until SIGTERM.

The loop runs on its own thread; the main thread only waits for signals, so a SIGTERM is seen at
once even while the loop is inside a long C call (GDAL, a socket). After SIGTERM the loop has
SHUTDOWN_TIMEOUT to stop; if a call is stuck past that, the message in hand is given back and the
process exits anyway, so a stop always ends within a bounded time.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from types import FrameType

from model_runner.config import load_settings
from model_runner.errors import ConfigurationError
from model_runner.observability import configure_logging
from model_runner.registry import ExtensionError
from model_runner.worker.collector import settled_collector
from model_runner.worker.preflight import startup_problems
from model_runner.worker.wiring import WorkerRuntime, build_worker

logger = logging.getLogger(__name__)

SIGNAL_POLL_S = 1.0
ABANDON_WAIT_S = 3.0
"""How long a forced stop waits for the message in hand to be given back."""
FORCED_EXIT_STATUS = 3


def run_worker(request_type: str | None = None) -> int:
    """Run a worker until SIGTERM or SIGINT; returns the exit status (2: bad configuration)."""
    try:
        settings = load_settings()
    except ConfigurationError as error:
        for problem in error.problems:
            print(f"model-runner: configuration: {problem}", file=sys.stderr)
        return 2
    configure_logging(settings)
    shutdown = threading.Event()
    stop_requested_at: list[float] = []

    def stop(signum: int, frame: FrameType | None) -> None:
        if not stop_requested_at:
            stop_requested_at.append(time.monotonic())
        shutdown.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        runtime = build_worker(settings, request_type=request_type, shutdown=shutdown)
    except ExtensionError as error:
        print(f"model-runner: extensions: {error}", file=sys.stderr)
        return 2
    except ConfigurationError as error:
        for problem in error.problems:
            print(f"model-runner: configuration: {problem}", file=sys.stderr)
        return 2
    problems = startup_problems(settings, runtime.clients)
    for problem in problems:
        print(f"model-runner worker: {problem}", file=sys.stderr)
    if problems:
        runtime.close()
        return 2
    with settled_collector():
        loop = threading.Thread(target=runtime.worker.run, name="worker-loop", daemon=True)
        loop.start()
        while loop.is_alive() and not shutdown.wait(SIGNAL_POLL_S):
            pass
        stopping_since = stop_requested_at[0] if stop_requested_at else time.monotonic()
        deadline = stopping_since + settings.shutdown_timeout_s
        loop.join(max(0.0, deadline - time.monotonic()))
    if loop.is_alive():
        _force_exit(runtime, settings.shutdown_timeout_s)
    runtime.close(timeout_s=max(1.0, deadline - time.monotonic()))
    return 0


def _force_exit(runtime: WorkerRuntime, timeout_s: float) -> None:
    """Give the message in hand back and end the process now: a call is stuck past the timeout."""
    logger.error("the worker did not stop within SHUTDOWN_TIMEOUT (%.0f s); giving up its message", timeout_s)
    abandon = threading.Thread(target=runtime.worker.abandon, name="abandon", daemon=True)
    abandon.start()
    abandon.join(ABANDON_WAIT_S)
    for handler in logging.getLogger().handlers:
        handler.flush()
    os._exit(FORCED_EXIT_STATUS)
