"""``model-runner local-stack``: the local stack and a worker, kept running for ``--local`` commands.

It writes the stack's environment (its moto endpoint, every resource's address, the model's URL)
to a state file, which ``submit --local``, ``status --local`` and ``preview --local`` read to reach
it; the file is removed when the stack stops (Ctrl-C or SIGTERM). The file is
``$MODEL_RUNNER_LOCAL_STACK`` or ``~/.cache/model-runner/local-stack.json``.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any, TextIO
from urllib.parse import urlsplit

from model_runner.config import load_settings
from model_runner.local import ModelSpec, start_local_stack
from model_runner.local.aws import AwsEndpoint
from model_runner.local.models import ModelKind
from model_runner.local.request_files import create_outputs, local_images, upload_images
from model_runner.tools.command_error import CommandError
from model_runner.worker.wiring import build_worker

STATE_VARIABLE = "MODEL_RUNNER_LOCAL_STACK"
RESULTS_BUCKET = "mr-results"
CREDENTIALS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
START_HINT = "start one with 'model-runner local-stack' in another terminal"


def state_file() -> Path:
    """Where the running local stack describes itself."""
    configured = os.environ.get(STATE_VARIABLE)
    return Path(configured) if configured else Path.home() / ".cache" / "model-runner" / "local-stack.json"


@dataclass(frozen=True)
class LocalSession:
    """A running local stack, as its state file describes it."""

    env: Mapping[str, str]
    model_url: str

    @property
    def endpoint(self) -> AwsEndpoint:
        return AwsEndpoint(self.env["AWS_ENDPOINT_URL"], self.env["AWS_DEFAULT_REGION"])

    def credentials(self) -> dict[str, str]:
        """The stack's dummy credentials, for boto3 (which reads them from the environment)."""
        return {name: self.env[name] for name in CREDENTIALS}

    def prepare(self, body: Mapping[str, Any], base: Path) -> dict[str, Any]:
        """A request made runnable here: local images uploaded (relative to ``base``), the local
        model and the results bucket where it names none, its outputs' buckets and streams created."""
        prepared = upload_images(self.endpoint, body, local_images(body, base))
        prepared.setdefault("imageProcessor", {"name": self.model_url, "type": "HTTP_ENDPOINT"})
        prepared.setdefault("outputs", [{"type": "S3", "bucket": RESULTS_BUCKET, "prefix": "local"}])
        create_outputs(self.endpoint, prepared)
        return prepared


def write_state(path: Path, env: Mapping[str, str], model_url: str) -> None:
    """Describe a running stack in ``path`` (readable only by its owner: it holds credentials)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps({"pid": os.getpid(), "env": dict(env), "model_url": model_url}))
    partial.chmod(0o600)
    partial.replace(path)


def connect() -> LocalSession:
    """The running local stack.

    Raises:
        CommandError: none is running (no state file, its process is gone, or it does not answer).
    """
    path = state_file()
    try:
        state = json.loads(path.read_text())
        pid, env, model_url = int(state["pid"]), state["env"], str(state["model_url"])
    except FileNotFoundError:
        raise CommandError(f"no local stack is running; {START_HINT}") from None
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise CommandError(f"{path} is not a local stack's state ({error}); {START_HINT}") from None
    try:
        os.kill(pid, 0)
        address = urlsplit(env["AWS_ENDPOINT_URL"])
        socket.create_connection((address.hostname, address.port), timeout=2).close()
    except OSError:
        raise CommandError(f"the local stack of {path} is gone; {START_HINT}") from None
    return LocalSession(env, model_url)


def serve(model: ModelKind, err: TextIO, stop: threading.Event | None = None) -> int:
    """Run the local stack and one worker until SIGINT or SIGTERM (or ``stop``); returns 0."""
    stop = stop or threading.Event()

    def stopping(signum: int, frame: FrameType | None) -> None:
        stop.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, stopping)
        signal.signal(signal.SIGINT, stopping)
    path = state_file()
    with start_local_stack({"local": ModelSpec(kind=model)}) as stack:
        os.environ.update({name: stack.env[name] for name in CREDENTIALS})
        env = {**stack.env, "QUEUE_WAIT_SECONDS": "1", "LOG_LEVEL": "WARNING", "LOG_FORMAT": "text"}
        runtime = build_worker(load_settings({**env, "METRICS_ENABLED": "false"}))
        worker = threading.Thread(target=runtime.worker.run, name="local-worker")
        worker.start()
        try:
            write_state(path, stack.env, stack.model_url("local"))
            print(
                f"local stack ready (AWS at {stack.endpoint_url}, model {model} at "
                f"{stack.model_url('local')}); use --local with submit, status and preview; Ctrl-C stops it",
                file=err,
                flush=True,
            )
            stop.wait()
        finally:
            path.unlink(missing_ok=True)
            runtime.shutdown.set()
            worker.join()
            runtime.close()
    return 0
