"""Where ``check-model`` sends its tiles: a model container over HTTP, or a SageMaker endpoint."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from urllib3 import PoolManager, Timeout
from urllib3.exceptions import HTTPError

from model_runner.inference.tls import ca_bundle_from, verified_ssl_context
from model_runner.tools.aws_access import aws_clients, calling
from model_runner.tools.command_error import CommandError
from model_runner.tools.model_contract import Finding

INVOCATIONS, PING = "/invocations", "/ping"
CONNECT_TIMEOUT_S = 5.0


class HttpTarget:
    """A container at ``url`` (its base, or its /invocations URL): GET /ping, POST /invocations."""

    supports_chunked = True

    def __init__(self, url: str, timeout_s: float, environ: Mapping[str, str]) -> None:
        base = url.rstrip("/").removesuffix(INVOCATIONS)
        self.name = base + INVOCATIONS
        self._ping_url = base + PING
        self._pool = PoolManager(
            retries=False,
            timeout=Timeout(connect=CONNECT_TIMEOUT_S, read=timeout_s),
            cert_reqs="CERT_REQUIRED",
            ssl_context=verified_ssl_context(ca_bundle_from(environ)),
        )

    def ping(self) -> Finding:
        started = time.perf_counter()
        try:
            answer = self._pool.request("GET", self._ping_url)
        except HTTPError as error:
            return Finding("FAIL", "ping", f"GET {self._ping_url}: no answer ({_reason(error)})")
        milliseconds = (time.perf_counter() - started) * 1000
        if answer.status != 200:
            return Finding("FAIL", "ping", f"GET {self._ping_url}: HTTP {answer.status} (expected 200)")
        return Finding("PASS", "ping", f"GET {self._ping_url}: HTTP 200 in {milliseconds:.0f} ms")

    def invoke(self, body: bytes, mime: str, *, chunk_bytes: int | None = None) -> tuple[int, bytes]:
        headers = {"Content-Type": mime, "Accept": "application/json"}
        try:
            if chunk_bytes is None:
                answer = self._pool.request("POST", self.name, body=body, headers=headers)
            else:
                answer = self._pool.request(
                    "POST", self.name, body=_chunks(body, chunk_bytes), headers=headers, chunked=True
                )
        except HTTPError as error:
            return 599, f"no answer: {_reason(error)}".encode()
        return answer.status, answer.data


class SageMakerTarget:
    """A SageMaker real-time endpoint, through boto3 (InvokeEndpoint), as the worker calls it."""

    supports_chunked = False

    def __init__(self, endpoint: str, environ: Mapping[str, str]) -> None:
        _, clients = aws_clients(environ, "sagemaker_runtime_endpoint_url", "model_read_timeout_s")
        self.name = f"SageMaker endpoint {endpoint}"
        self._endpoint = endpoint
        self._runtime = clients.client("sagemaker-runtime")
        self._control = clients.client("sagemaker")

    def ping(self) -> Finding:
        try:
            with calling(f"describe {self.name}"):
                status = self._control.describe_endpoint(EndpointName=self._endpoint)["EndpointStatus"]
        except CommandError as error:
            raise CommandError(f"{error}; check the endpoint's name and region") from None
        if status != "InService":
            return Finding("FAIL", "ping", f"{self.name} is {status} (expected InService)")
        return Finding("PASS", "ping", f"{self.name} is InService")

    def invoke(self, body: bytes, mime: str, *, chunk_bytes: int | None = None) -> tuple[int, bytes]:
        try:
            answer = self._runtime.invoke_endpoint(
                EndpointName=self._endpoint, Body=body, ContentType=mime, Accept="application/json"
            )
        except ClientError as error:
            response: Mapping[str, Any] = error.response
            original = response.get("OriginalStatusCode") or response.get("ResponseMetadata", {}).get(
                "HTTPStatusCode", 500
            )
            return int(original), str(response.get("Error", {}).get("Message", error)).encode()
        except BotoCoreError as error:
            return 599, f"no answer: {error}".encode()
        return 200, answer["Body"].read()


def _chunks(body: bytes, size: int) -> Iterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


def _reason(error: HTTPError) -> str:
    return str(getattr(error, "reason", None) or error)
