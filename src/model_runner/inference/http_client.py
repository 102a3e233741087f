"""Post one encoded tile to an HTTP model endpoint and return its answer's bytes.

The endpoint contract is the SageMaker container's: ``POST`` of the tile to the full endpoint URL
(for example ``http://host:8080/invocations``), the request parameter CustomAttributes sent as
the ``X-Amzn-SageMaker-Custom-Attributes`` header, and a JSON answer, parsed elsewhere.

Every URL passes the :class:`~model_runner.inference.endpoint_guard.EndpointGuard` first and the
call connects to the address the guard judged; redirects are never followed. A failure's message
says what happened in our own words (status code and phrase, timeouts, refusals), never what the
endpoint's body said, and shows the URL without credentials or query.
"""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from types import TracebackType
from typing import Any

from urllib3 import PoolManager
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    MaxRetryError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    SSLError,
)

from model_runner.inference.endpoint_guard import EndpointGuard, PinnedEndpoint
from model_runner.inference.http_policy import HttpCallPolicy
from model_runner.inference.invocation_error import ModelInvocationError
from model_runner.inference.tls import verified_ssl_context
from model_runner.security import display_url

CUSTOM_ATTRIBUTES_HEADER = "X-Amzn-SageMaker-Custom-Attributes"


class HttpModelClient:
    """A thread-safe client of HTTP model endpoints with pooled keep-alive connections.

    One client serves every tile worker: its pool keeps ``policy.connections`` connections per
    endpoint host, and a thread that finds them all busy waits for one rather than opening more.
    TLS certificates are always verified (for the URL's host name), against ``ca_bundle`` when given.
    """

    def __init__(
        self, policy: HttpCallPolicy, *, endpoints: EndpointGuard, ca_bundle: str | None = None
    ) -> None:
        self._policy = policy
        self._endpoints = endpoints
        self._pool = PoolManager(
            maxsize=policy.connections,
            block=True,
            timeout=policy.timeout(),
            retries=policy.retry(),
            cert_reqs="CERT_REQUIRED",
            ssl_context=verified_ssl_context(ca_bundle),
        )

    def check(self, endpoint_url: str) -> None:
        """Raise EndpointRefusedError now if the guard refuses ``endpoint_url``."""
        self._endpoints.pin(endpoint_url)

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
            EndpointRefusedError: the guard refuses the URL (FAIL_JOB, naming imageProcessor.name).
            ModelInvocationError: no 2xx answer after the policy's retries; the message says why.
        """
        pinned = self._endpoints.pin(endpoint_url)
        shown = display_url(endpoint_url)
        request_headers = {**(headers or {}), "Content-Type": content_type, "Host": pinned.host_header}
        if custom_attributes is not None:
            request_headers[CUSTOM_ATTRIBUTES_HEADER] = custom_attributes
        try:
            response = self._connection(pinned).urlopen(
                "POST", pinned.target, body=body, headers=request_headers, redirect=False
            )
        except MaxRetryError as error:
            reason = error.reason if error.reason is not None else error
            raise ModelInvocationError(self._describe(shown, reason), endpoint=shown) from error
        except HTTPError as error:
            raise ModelInvocationError(self._describe(shown, error), endpoint=shown) from error
        if not 200 <= response.status < 300:
            retries = len(response.retries.history) if response.retries else 0
            raise ModelInvocationError(
                f"HTTP {response.status} from {shown}{_after(retries)}: {_status_words(response.status)}",
                endpoint=shown,
                status=response.status,
            )
        return bytes(response.data)

    def _connection(self, pinned: PinnedEndpoint) -> Any:
        """The pooled connections to the judged address, verifying TLS for the URL's host name."""
        address = str(pinned.address)
        names = (
            {}
            if pinned.scheme == "http" or pinned.host == address
            else {
                "server_hostname": pinned.host,
                "assert_hostname": pinned.host,
            }
        )
        return self._pool.connection_from_host(address, pinned.port, pinned.scheme, pool_kwargs=names)

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
        if isinstance(error, NewConnectionError):
            cause = error.__cause__
            why = "the connection failed"
            if isinstance(cause, ConnectionRefusedError):
                why = "connection refused"
            elif isinstance(cause, OSError) and cause.strerror:
                why = cause.strerror.lower()
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


def _status_words(status: int) -> str:
    """What a status means, in our words: the endpoint's body is never shown (it may be anything)."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "unknown status"
    if 300 <= status < 400:
        return f"{phrase}; redirects are not followed"
    return f"{phrase} (the endpoint's answer is not shown)"


def _after(retries: int) -> str:
    return f" after {retries} {'retry' if retries == 1 else 'retries'}" if retries else ""
