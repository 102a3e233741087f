"""The SageMaker runtime emulator: InvokeEndpoint as boto3 sends it, forwarded to model containers.

``POST /endpoints/{EndpointName}/invocations`` reaches a variant's model (``POST`` of the body to
its invocations URL) and answers with the model's body, or with an error in the rest-json form
botocore parses: the code in the ``x-amzn-ErrorType`` header, the message and the modelled fields
in the JSON body. ``POST /endpoints/{EndpointName}/async-invocations`` (InvokeEndpointAsync, for
endpoints with an ``async_config``) answers 202 with the output and failure locations at once,
then in the background reads the input object, calls the model, writes the answer (or the
failure) to S3 and publishes the notification (see :mod:`model_runner.local.sagemaker.async_work`).
``GET /ping`` answers 200; ``GET /emulator/stats`` counts, per endpoint, what
the emulator saw (for tests and demos).
"""

from __future__ import annotations

import json
import random
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

import urllib3
from urllib3.exceptions import HTTPError, ReadTimeoutError

from model_runner.inference.sagemaker import PAYLOAD_LIMIT_BYTES
from model_runner.local.children import announce, exit_with_parent
from model_runner.local.http_body import request_body
from model_runner.local.sagemaker.async_work import AsyncInvocation, AsyncServices
from model_runner.local.sagemaker.endpoints import EmulatedEndpoint, EmulatedVariant

ACCOUNT = "123456789012"
STATS_PATH = "/emulator/stats"
PING_PATH = "/ping"
MODEL_CONNECT_TIMEOUT_S = 5.0
ERROR_EXCERPT_CHARS = 1000
FORWARDED_HEADERS = (
    "Content-Type",
    "Accept",
    "X-Amzn-SageMaker-Custom-Attributes",
    "X-Amzn-SageMaker-Target-Model",
    "X-Amzn-SageMaker-Inference-Id",
)
"""Request headers passed on to the model container."""


@dataclass(frozen=True)
class Reply:
    """An HTTP answer of the emulator."""

    status: int
    body: bytes
    headers: Mapping[str, str]


def error_reply(status: int, code: str, message: str, **fields: Any) -> Reply:
    """An error botocore raises as ClientError ``code``, with ``fields`` as modelled members."""
    body = json.dumps({"message": message, **fields}).encode()
    return Reply(status, body, {"Content-Type": "application/json", "x-amzn-ErrorType": code})


class EndpointState:
    """One endpoint's configuration, invocations in flight, random choices and counters."""

    def __init__(self, name: str, endpoint: EmulatedEndpoint) -> None:
        self.name = name
        self.endpoint = endpoint
        self._lock = threading.Lock()
        self._random = random.Random(endpoint.seed)
        self._in_flight = 0
        self._peak = 0
        self._demand = 0
        self._call_seconds = 0.0
        self._changed = time.monotonic()
        self.counts: Counter[str] = Counter()
        self.variant_counts: Counter[str] = Counter()

    def admit(self) -> bool:
        """Take a place among the invocations in flight; False when none is left (throttled)."""
        limit = self.endpoint.max_concurrency
        with self._lock:
            self.counts["invocations"] += 1
            self._demand = max(self._demand, self._in_flight + 1)
            if limit is not None and self._in_flight >= limit:
                self.counts["throttled"] += 1
                return False
            self._move(+1)
            self._peak = max(self._peak, self._in_flight)
            return True

    def release(self) -> None:
        """Give back the place taken by :meth:`admit`."""
        with self._lock:
            self._move(-1)

    def _move(self, change: int) -> None:
        """Change the invocations in flight, adding the time-weighted count before the change."""
        now = time.monotonic()
        self._call_seconds += self._in_flight * (now - self._changed)
        self._changed = now
        self._in_flight += change

    def variant(self, target: str | None) -> EmulatedVariant | None:
        """The variant named ``target`` (None if it does not exist), or one chosen by weight."""
        variants = self.endpoint.variants
        if target is not None:
            return next((variant for variant in variants if variant.name == target), None)
        with self._lock:
            return self._random.choices(variants, weights=[variant.weight for variant in variants])[0]

    def injected_failure(self) -> bool:
        """Whether this invocation is one of the ``failure_rate`` that fail."""
        with self._lock:
            failed = self._random.random() < self.endpoint.failure_rate
            if failed:
                self.counts["injected_failures"] += 1
            return failed

    def count(self, what: str, variant: EmulatedVariant | None = None) -> None:
        """Count one ``what`` (of ``variant``)."""
        with self._lock:
            self.counts[what] += 1
            if variant is not None:
                self.variant_counts[variant.name] += 1

    def stats(self) -> dict[str, Any]:
        """The counters, as JSON."""
        with self._lock:
            self._move(0)
            return {
                **self.counts,
                "variants": dict(self.variant_counts),
                "in_flight": self._in_flight,
                "peak_in_flight": self._peak,
                "peak_demand": self._demand,
                "call_seconds": round(self._call_seconds, 3),
            }


class SageMakerEmulator(ThreadingHTTPServer):
    """A thread per connection; one pooled HTTP client to the models."""

    daemon_threads = True
    request_queue_size = 256

    def __init__(
        self,
        address: tuple[str, int],
        endpoints: Mapping[str, EmulatedEndpoint],
        aws: AsyncServices | None = None,
    ) -> None:
        super().__init__(address, EmulatorRequestHandler)
        self.endpoints = {name: EndpointState(name, endpoint) for name, endpoint in endpoints.items()}
        self.models = urllib3.PoolManager(maxsize=64, retries=False)
        self.aws = aws

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet when a caller gives up."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    def invoke(self, name: str, body: bytes, headers: Message[str, str]) -> Reply:
        """The answer to InvokeEndpoint of endpoint ``name``."""
        state = self.endpoints.get(name)
        if state is None:
            return error_reply(400, "ValidationError", f"Endpoint {name} of account {ACCOUNT} not found.")
        target = headers.get("X-Amzn-SageMaker-Target-Variant")
        variant = state.variant(target)
        if variant is None:
            return error_reply(400, "ValidationError", f"Variant {target} not found for endpoint {name}.")
        if not state.admit():
            return error_reply(400, "ThrottlingException", f"Rate exceeded for endpoint {name}.")
        forwarded = {key: value for key in FORWARDED_HEADERS if (value := headers.get(key)) is not None}
        try:
            return self.answer(state, variant, body, forwarded)
        finally:
            state.release()

    def answer(
        self, state: EndpointState, variant: EmulatedVariant, body: bytes, forwarded: Mapping[str, str]
    ) -> Reply:
        """The endpoint's answer to one admitted invocation: after its latency, an injected
        failure or the model's answer."""
        time.sleep(state.endpoint.latency_ms / 1000)
        if state.injected_failure():
            code = state.endpoint.failure_error
            return error_reply(503 if code == "ServiceUnavailable" else 500, code, f"{code} (injected)")
        return self._call_model(state, variant, body, forwarded)

    def invoke_async(self, name: str, headers: Message[str, str]) -> Reply:
        """The answer to InvokeEndpointAsync of endpoint ``name``; the work goes on in the background."""
        state = self.endpoints.get(name)
        if state is None:
            return error_reply(400, "ValidationError", f"Endpoint {name} of account {ACCOUNT} not found.")
        config = state.endpoint.async_config
        if config is None:
            return error_reply(400, "ValidationError", f"Endpoint {name} is not an asynchronous endpoint.")
        if self.aws is None:
            return error_reply(500, "InternalFailure", "the emulator was started without an AWS endpoint")
        input_location = headers.get("X-Amzn-SageMaker-InputLocation")
        if not input_location:
            return error_reply(400, "ValidationError", "InputLocation is required.")
        variant = state.variant(None)
        assert variant is not None
        if not state.admit():
            return error_reply(400, "ThrottlingException", f"Rate exceeded for endpoint {name}.")
        invocation = AsyncInvocation.accept(name, config, input_location, headers)
        state.count("async_accepted")
        threading.Thread(
            target=self.aws.complete,
            args=(self, state, variant, invocation),
            name=f"async-{invocation.inference_id}",
            daemon=True,
        ).start()
        return Reply(202, *invocation.accepted_reply())

    def stats(self) -> dict[str, Any]:
        """Every endpoint's counters."""
        return {name: state.stats() for name, state in self.endpoints.items()}

    def _call_model(
        self, state: EndpointState, variant: EmulatedVariant, body: bytes, forwarded: Mapping[str, str]
    ) -> Reply:
        log_stream = (
            f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/sagemaker/Endpoints/{state.name}"
            f":log-stream:{variant.name}/emulated"
        )
        try:
            answer = self.models.request(
                "POST",
                variant.model,
                body=body,
                headers=dict(forwarded),
                timeout=urllib3.Timeout(connect=MODEL_CONNECT_TIMEOUT_S, read=state.endpoint.model_timeout_s),
            )
        except ReadTimeoutError:
            state.count("model_errors", variant)
            message = f"Your invocation timed out while waiting for a response from container {variant.name}."
            return error_reply(424, "ModelError", message, LogStreamArn=log_stream)
        except HTTPError as error:
            state.count("model_errors", variant)
            message = f"Could not reach the container of variant {variant.name}: {error}"
            return error_reply(424, "ModelError", message, LogStreamArn=log_stream)
        if not 200 <= answer.status < 300:
            state.count("model_errors", variant)
            original = answer.data[:ERROR_EXCERPT_CHARS].decode("utf-8", errors="replace")
            side = "client" if answer.status < 500 else "server"
            message = (
                f'Received {side} error ({answer.status}) from {variant.name} with message "{original}".'
            )
            return error_reply(
                424,
                "ModelError",
                message,
                OriginalStatusCode=answer.status,
                OriginalMessage=original,
                LogStreamArn=log_stream,
            )
        state.count("answered", variant)
        reply_headers = {
            "Content-Type": answer.headers.get("Content-Type", "application/json"),
            "x-Amzn-Invoked-Production-Variant": variant.name,
        }
        attributes = answer.headers.get("X-Amzn-SageMaker-Custom-Attributes")
        if attributes is not None:
            reply_headers["X-Amzn-SageMaker-Custom-Attributes"] = attributes
        return Reply(200, answer.data, reply_headers)


class EmulatorRequestHandler(BaseHTTPRequestHandler):
    """One connection's requests."""

    server: SageMakerEmulator
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        route = self._route()
        if route == PING_PATH:
            self._send(Reply(200, b'{"status":"healthy"}', {"Content-Type": "application/json"}))
        elif route == STATS_PATH:
            self._send(
                Reply(200, json.dumps(self.server.stats()).encode(), {"Content-Type": "application/json"})
            )
        else:
            self._send(_unknown_operation(route))

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = b"" if length > PAYLOAD_LIMIT_BYTES else request_body(self.headers, self.rfile)
        if max(length, len(body)) > PAYLOAD_LIMIT_BYTES:
            self.close_connection = True  # a body over the limit is left unread
            message = f"HTTP content length exceeded {PAYLOAD_LIMIT_BYTES} bytes."
            self._send(
                Reply(413, json.dumps({"message": message}).encode(), {"Content-Type": "application/json"})
            )
            return
        parts = self._route().split("/")
        if len(parts) == 4 and parts[1] == "endpoints" and parts[3] == "invocations":
            self._send(self.server.invoke(unquote(parts[2]), body, self.headers))
        elif len(parts) == 4 and parts[1] == "endpoints" and parts[3] == "async-invocations":
            self._send(self.server.invoke_async(unquote(parts[2]), self.headers))
        else:
            self._send(_unknown_operation(self._route()))

    def log_message(self, format: str, *args: Any) -> None:
        """Log nothing per request: thousands of tiles would flood the log."""

    def _route(self) -> str:
        return self.path.split("?", 1)[0]

    def _send(self, reply: Reply) -> None:
        self.send_response(reply.status)
        for key, value in reply.headers.items():
            self.send_header(key, value)
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)


def _unknown_operation(route: str) -> Reply:
    return error_reply(404, "UnknownOperationException", f"No operation at {route}.")


def serve(
    endpoints: Mapping[str, EmulatedEndpoint],
    host: str,
    port: int,
    parent_pid: int | None,
    aws: AsyncServices | None = None,
) -> None:
    """Serve ``endpoints`` on ``host:port`` (0: any free port) until the process is terminated;
    asynchronous endpoints read, write and notify through ``aws``."""
    exit_with_parent(parent_pid)
    with SageMakerEmulator((host, port), endpoints, aws) as server:
        announce(host, server.server_port)
        server.serve_forever()
