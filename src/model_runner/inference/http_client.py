"""Post one encoded tile to an HTTP model endpoint and return its answer's bytes.

The endpoint contract is the SageMaker container's: ``POST`` of the tile to the full endpoint URL
(for example ``http://host:8080/invocations``), the request parameter CustomAttributes sent as
the ``X-Amzn-SageMaker-Custom-Attributes`` header, and a JSON answer, parsed elsewhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType

from urllib3 import PoolManager
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    MaxRetryError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    SSLError,
)

from model_runner.inference.http_policy import HttpCallPolicy
from model_runner.inference.invocation_error import ModelInvocationError
from model_runner.inference.tls import verified_ssl_context

CUSTOM_ATTRIBUTES_HEADER = "X-Amzn-SageMaker-Custom-Attributes"
BODY_EXCERPT_CHARS = 200


class HttpModelClient:
    """A thread-safe client of HTTP model endpoints with pooled keep-alive connections.

    One client serves every tile worker: its pool keeps ``policy.connections`` connections per
    endpoint host, and a thread that finds them all busy waits for one rather than opening more.
    TLS certificates are always verified, against ``ca_bundle`` when given.
    """

    def __init__(self, policy: HttpCallPolicy, *, ca_bundle: str | None = None) -> None:
        self._policy = policy
        self._pool = PoolManager(
            maxsize=policy.connections,
            block=True,
            timeout=policy.timeout(),
            retries=policy.retry(),
            cert_reqs="CERT_REQUIRED",
            ssl_context=verified_ssl_context(ca_bundle),
        )

    def invoke(
        self,
        endpoint_url: str,
        body: bytes,
        content_type: str,
        *,
        custom_attributes: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> bytes:
        """POST ``body`` to ``endpoint_url`` and return the answer's body.

        Raises:
            ModelInvocationError: no 2xx answer after the policy's retries; the message says why.
        """
        request_headers = {**(headers or {}), "Content-Type": content_type}
        if custom_attributes is not None:
            request_headers[CUSTOM_ATTRIBUTES_HEADER] = custom_attributes
        try:
            response = self._pool.request("POST", endpoint_url, body=body, headers=request_headers)
        except MaxRetryError as error:
            reason = error.reason if error.reason is not None else error
            raise ModelInvocationError(self._describe(endpoint_url, reason), endpoint=endpoint_url) from error
        except HTTPError as error:
            raise ModelInvocationError(self._describe(endpoint_url, error), endpoint=endpoint_url) from error
        if not 200 <= response.status < 300:
            excerpt = response.data[:BODY_EXCERPT_CHARS].decode("utf-8", errors="replace")
            retries = len(response.retries.history) if response.retries else 0
            raise ModelInvocationError(
                f"HTTP {response.status} from {endpoint_url}{_after(retries)}: {excerpt}",
                endpoint=endpoint_url,
                status=response.status,
            )
        return response.data

    def close(self) -> None:
        """Close every pooled connection."""
        self._pool.clear()

    def __enter__(self) -> HttpModelClient:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def _describe(self, url: str, error: Exception) -> str:
        """The reason a user reads for a call that got no answer."""
        policy, retried = self._policy, _after(self._policy.max_retries)
        if isinstance(error, NameResolutionError):
            return f"cannot resolve the host of {url}{retried}"
        if isinstance(error, NewConnectionError):
            refused = isinstance(error.__cause__, ConnectionRefusedError)
            why = "connection refused" if refused else str(error)
            return f"cannot connect to {url}{retried}: {why}"
        if isinstance(error, ConnectTimeoutError):
            return f"connecting to {url} timed out after {policy.connect_timeout_s:g} s{retried}"
        if isinstance(error, ReadTimeoutError):
            return f"{url} timed out after {policy.read_timeout_s:g} s without answering{retried}"
        if isinstance(error, SSLError):
            return f"TLS handshake with {url} failed: {error}"
        if isinstance(error, ProtocolError):
            return f"{url} dropped the connection{retried}: {error}"
        return f"call to {url} failed: {error}"


def _after(retries: int) -> str:
    return f" after {retries} {'retry' if retries == 1 else 'retries'}" if retries else ""
