"""``model-runner worker``: read the settings, build the worker, poll until SIGTERM."""

from __future__ import annotations

import signal
import sys
import threading
from types import FrameType

from model_runner.config import load_settings
from model_runner.errors import ConfigurationError
from model_runner.observability import configure_logging
from model_runner.registry import ExtensionError
from model_runner.worker.preflight import startup_problems
from model_runner.worker.wiring import build_worker


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

    def stop(signum: int, frame: FrameType | None) -> None:
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
    try:
        problems = startup_problems(settings, runtime.clients)
        for problem in problems:
            print(f"model-runner worker: {problem}", file=sys.stderr)
        if problems:
            return 2
        runtime.worker.run()
    finally:
        runtime.close()
    return 0
