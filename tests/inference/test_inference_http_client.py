"""The HTTP model client against stub endpoints on 127.0.0.1."""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from settings_support import REQUIRED_ENV
from tls_support import TlsFiles, make_self_signed

from model_runner.config import load_settings
from model_runner.errors import QueueAction
from model_runner.inference import (
    EndpointGuard,
    HttpCallPolicy,
    HttpModelClient,
    ModelInvocationError,
    ca_bundle_from,
)
from model_runner.security import UrlAllowList

FEATURES = b'{"type": "FeatureCollection", "features": []}'
UNAVAILABLE = "Service Unavailable (the endpoint's answer is not shown)"
LOOPBACK = EndpointGuard(UrlAllowList(["127.0.0.1", "localhost"]))
"""The stub endpoints' hosts, allow-listed."""


@dataclass(frozen=True)
class Reply:
    """One scripted answer of the stub endpoint."""

    status: int = 200
    body: bytes = FEATURES
    headers: tuple[tuple[str, str], ...] = ()
    delay_s: float = 0.0


@dataclass(frozen=True)
class ReceivedRequest:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class StubModelServer:
    """A threaded HTTP/1.1 server on 127.0.0.1 that answers POSTs with ``replies`` in turn.

    The last reply repeats. It records every request and counts the connections it accepted.
    """

    replies: Sequence[Reply]
    tls: TlsFiles | None = None
    requests: list[ReceivedRequest] = field(default_factory=list)
    connections: int = 0
    released: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self._httpd.handle_error = lambda request, client_address: None  # type: ignore[method-assign]
        if self.tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(self.tls.cert, self.tls.key)
            self._httpd.socket = context.wrap_socket(self._httpd.socket, server_side=True)
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.02,), daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://127.0.0.1:{self._httpd.server_address[1]}/invocations"

    def next_reply(self, request: ReceivedRequest) -> Reply:
        with self.lock:
            self.requests.append(request)
            return self.replies[min(len(self.requests), len(self.replies)) - 1]

    def count_connection(self) -> None:
        with self.lock:
            self.connections += 1

    def stop(self) -> None:
        self.released.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()


def _handler_for(server: StubModelServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            server.count_connection()
            self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            super().setup()

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            reply = server.next_reply(ReceivedRequest(self.path, dict(self.headers.items()), body))
            server.released.wait(reply.delay_s)
            self.send_response(reply.status)
            for name, value in reply.headers:
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


StartServer = Callable[..., StubModelServer]


@pytest.fixture
def model_server() -> Iterator[StartServer]:
    """Start stub endpoints with ``model_server(replies, tls=...)``; all are stopped after the test."""
    started: list[StubModelServer] = []

    def start(replies: Sequence[Reply], tls: TlsFiles | None = None) -> StubModelServer:
        server = StubModelServer(replies, tls)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def self_signed(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return make_self_signed(tmp_path_factory.mktemp("tls"))


pytestmark = pytest.mark.timeout(30)


def make_client(
    *, retries: int = 2, read_timeout_s: float = 5.0, connections: int = 4, **backoff: float
) -> HttpModelClient:
    policy = HttpCallPolicy(
        connect_timeout_s=2.0,
        read_timeout_s=read_timeout_s,
        max_retries=retries,
        connections=connections,
        **{"backoff_base_s": 0.01, **backoff},
    )
    return HttpModelClient(policy, endpoints=LOOPBACK)


def test_posts_the_tile_with_its_headers_and_returns_the_answer(model_server: StartServer) -> None:
    server = model_server([Reply()])
    with make_client() as client:
        answer = client.invoke(
            server.url,
            b"\x89PNG tile bytes",
            "image/png",
            custom_attributes="confidence=0.5",
            headers={"X-Trace": "abc"},
        )
    assert answer == FEATURES
    [request] = server.requests
    assert request.path == "/invocations"
    assert request.body == b"\x89PNG tile bytes"
    assert request.headers["Content-Type"] == "image/png"
    assert request.headers["X-Amzn-SageMaker-Custom-Attributes"] == "confidence=0.5"
    assert request.headers["X-Trace"] == "abc"


def test_no_custom_attributes_header_when_none_given(model_server: StartServer) -> None:
    server = model_server([Reply()])
    make_client().invoke(server.url, b"tile", "image/tiff")
    assert "X-Amzn-SageMaker-Custom-Attributes" not in server.requests[0].headers


def test_a_server_error_is_retried_and_the_next_answer_returned(model_server: StartServer) -> None:
    server = model_server([Reply(500, b"busy"), Reply(200, b'{"ok": 1}')])
    assert make_client().invoke(server.url, b"tile", "image/png") == b'{"ok": 1}'
    assert len(server.requests) == 2


def test_a_persistent_server_error_fails_with_status_and_url_but_not_the_body_after_backoff(
    model_server: StartServer,
) -> None:
    server = model_server([Reply(503, b"x" * 300)])
    started = time.monotonic()
    with pytest.raises(ModelInvocationError) as failure:
        make_client(retries=2, backoff_base_s=0.2).invoke(server.url, b"tile", "image/png")
    elapsed = time.monotonic() - started
    message = str(failure.value)
    assert message == f"HTTP 503 from {server.url} after 2 retries: {UNAVAILABLE}"
    assert len(server.requests) == 3
    assert elapsed >= 0.3  # at least half of 0.2 s, then half of 0.4 s
    assert failure.value.status == 503
    assert failure.value.action is QueueAction.RETRY


def test_a_client_error_is_not_retried_and_fails_the_job(model_server: StartServer) -> None:
    server = model_server([Reply(400, b"unsupported content type")])
    expected = r"^HTTP 400 from .*: Bad Request \(the endpoint's answer is not shown\)$"
    with pytest.raises(ModelInvocationError, match=expected) as failure:
        make_client(retries=3).invoke(server.url, b"tile", "image/png")
    assert len(server.requests) == 1
    assert failure.value.action is QueueAction.FAIL_JOB


def test_throttling_waits_as_long_as_retry_after_says(model_server: StartServer) -> None:
    server = model_server([Reply(429, b"slow down", (("Retry-After", "1"),)), Reply()])
    started = time.monotonic()
    assert make_client().invoke(server.url, b"tile", "image/png") == FEATURES
    assert time.monotonic() - started >= 0.95
    assert len(server.requests) == 2


def test_a_long_retry_after_is_capped(model_server: StartServer) -> None:
    server = model_server([Reply(429, b"", (("Retry-After", "3600"),)), Reply()])
    started = time.monotonic()
    make_client(retry_after_max_s=0.1).invoke(server.url, b"tile", "image/png")
    assert time.monotonic() - started < 5


def test_a_slow_model_fails_with_the_read_timeout_of_the_settings(model_server: StartServer) -> None:
    settings = load_settings({**REQUIRED_ENV, "MODEL_READ_TIMEOUT": "0.2", "MODEL_MAX_RETRIES": "1"})
    server = model_server([Reply(delay_s=10)])
    started = time.monotonic()
    with pytest.raises(ModelInvocationError) as failure:
        HttpModelClient(HttpCallPolicy.from_settings(settings), endpoints=LOOPBACK).invoke(
            server.url, b"tile", "image/png"
        )
    assert "timed out after 0.2 s" in str(failure.value)
    assert "after 1 retry" in str(failure.value)
    assert len(server.requests) == 2  # a read timeout of a POST is retried too
    assert time.monotonic() - started < 5


def test_a_closed_port_fails_with_connection_refused() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/invocations"
    with pytest.raises(
        ModelInvocationError, match=f"^cannot connect to {url} after 1 retry: connection refused$"
    ):
        make_client(retries=1).invoke(url, b"tile", "image/png")


def test_connections_are_reused_and_bounded_by_the_pool_size(model_server: StartServer) -> None:
    server = model_server([Reply(delay_s=0.01)])
    client = make_client(connections=2)
    with ThreadPoolExecutor(6) as threads:
        answers = list(threads.map(lambda _: client.invoke(server.url, b"tile", "image/png"), range(30)))
    assert answers == [FEATURES] * 30
    assert len(server.requests) == 30
    assert 1 <= server.connections <= 2


def test_a_self_signed_certificate_is_rejected(model_server: StartServer, self_signed: TlsFiles) -> None:
    server = model_server([Reply()], tls=self_signed)
    with pytest.raises(ModelInvocationError, match=r"TLS handshake with https://.*certificate verify failed"):
        make_client().invoke(server.url, b"tile", "image/png")
    assert server.requests == []


def test_a_ca_bundle_makes_a_private_certificate_trusted(
    model_server: StartServer, self_signed: TlsFiles
) -> None:
    server = model_server([Reply()], tls=self_signed)
    bundle = ca_bundle_from({"AWS_CA_BUNDLE": str(self_signed.cert)})
    policy = HttpCallPolicy(connect_timeout_s=2, read_timeout_s=5, max_retries=0, connections=1)
    client = HttpModelClient(policy, endpoints=LOOPBACK, ca_bundle=bundle)
    assert client.invoke(server.url, b"tile", "image/png") == FEATURES


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"AWS_CA_BUNDLE": "/a.pem", "REQUESTS_CA_BUNDLE": "/b.pem"}, "/a.pem"),
        ({"AWS_CA_BUNDLE": "", "REQUESTS_CA_BUNDLE": "/b.pem"}, "/b.pem"),
        ({}, None),
    ],
)
def test_the_ca_bundle_variable_of_aws_wins(environ: dict[str, str], expected: str | None) -> None:
    assert ca_bundle_from(environ) == expected


def test_a_trusted_certificate_for_another_host_name_is_rejected(
    model_server: StartServer, self_signed: TlsFiles
) -> None:
    server = model_server([Reply()], tls=self_signed)
    other_name = server.url.replace("127.0.0.1", "localhost")
    policy = HttpCallPolicy(connect_timeout_s=2, read_timeout_s=5, max_retries=0, connections=1)
    refused = r"TLS handshake with https://localhost.*(verify failed|doesn't match '127\.0\.0\.1')"
    with pytest.raises(ModelInvocationError, match=refused):
        HttpModelClient(policy, endpoints=LOOPBACK, ca_bundle=str(self_signed.cert)).invoke(
            other_name, b"tile", "image/png"
        )
    assert server.requests == []
