"""Built-in test models speaking the model endpoint contract, each served by its own process.

One process serves one model, like a real model container: ``GET /ping`` and
``POST /invocations`` at the root of ``http://127.0.0.1:PORT``. Run one by hand with
``python -m model_runner.local.models --model flood --count 20 --latency-ms 5 --port 8080``.
"""

from __future__ import annotations

from model_runner.local.models.spec import INVOCATIONS_PATH, PING_PATH, FailureMode, ModelKind, ModelSpec
from model_runner.local.processes import ServerCommand, ServerProcess, start_servers

__all__ = [
    "INVOCATIONS_PATH",
    "PING_PATH",
    "FailureMode",
    "ModelKind",
    "ModelSpec",
    "model_server_command",
    "start_model_server",
]


def model_server_command(spec: ModelSpec) -> ServerCommand:
    """The command of a process serving ``spec``."""
    return ServerCommand("model_runner.local.models", tuple(spec.to_argv()))


def start_model_server(spec: ModelSpec) -> ServerProcess:
    """Start a process serving ``spec``; its endpoint is ``server.url + INVOCATIONS_PATH``.

    Use the result as a context manager to stop the process.
    """
    return start_servers([model_server_command(spec)])[0]
