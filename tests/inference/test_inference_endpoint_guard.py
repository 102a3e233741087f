"""Which model endpoints a request may make the worker call, and that the call goes where it was
judged to go: allow-list, metadata and link-local addresses after resolution, loopback only when
listed as such, no redirects, no response body in the reason."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator

import pytest
from canary import Canary, canary_server

from model_runner.errors import QueueAction
from model_runner.inference import EndpointGuard, EndpointRefusedError, HttpCallPolicy, HttpModelClient
from model_runner.inference import endpoint_guard as guard_module
from model_runner.inference.invocation_error import ModelInvocationError
from model_runner.security import IpAddress, ResolutionError, UrlAllowList

METADATA = ipaddress.ip_address("169.254.169.254")
LOOPBACK = ipaddress.ip_address("127.0.0.1")


class ScriptedResolver:
    """Answers each resolution with the next list of addresses (the last repeats), counting calls."""

    def __init__(self, *answers: list[IpAddress]) -> None:
        self.answers = list(answers)
        self.calls = 0

    def __call__(self, host: str, port: int, timeout_s: float) -> list[IpAddress]:
        self.calls += 1
        return self.answers[min(self.calls, len(self.answers)) - 1]


def guard(*entries: str, resolver: ScriptedResolver | None = None) -> EndpointGuard:
    if resolver is None:
        return EndpointGuard(UrlAllowList(entries))
    return EndpointGuard(UrlAllowList(entries), resolver=resolver)


def client(endpoints: EndpointGuard) -> HttpModelClient:
    policy = HttpCallPolicy(connect_timeout_s=2, read_timeout_s=5, max_retries=0, connections=2)
    return HttpModelClient(policy, endpoints=endpoints)


@pytest.fixture
def canary() -> Iterator[Canary]:
    with canary_server() as served:
        yield served


def refusal(endpoints: EndpointGuard, url: str) -> str:
    with pytest.raises(EndpointRefusedError) as refused:
        endpoints.pin(url)
    assert refused.value.action is QueueAction.FAIL_JOB
    [problem] = refused.value.problems
    assert problem.startswith("imageProcessor.name: ")
    return problem


def test_a_host_outside_the_allow_list_is_refused_without_being_resolved() -> None:
    resolver = ScriptedResolver([LOOPBACK])
    problem = refusal(guard("models.example.com", resolver=resolver), "https://elsewhere.example.com/x")
    assert "not in MODEL_ENDPOINT_ALLOWLIST" in problem
    assert resolver.calls == 0


def test_an_empty_allow_list_refuses_every_http_model() -> None:
    assert "not in MODEL_ENDPOINT_ALLOWLIST ((empty))" in refusal(
        guard(), "http://127.0.0.1:8080/invocations"
    )


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://169.254.170.2/v2/credentials/x",
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://[::ffff:169.254.169.254]/latest/meta-data/",
        "http://[fe80::1]/",
        "http://2852039166/latest/meta-data/",
        "http://0xa9fea9fe/latest/meta-data/",
    ],
)
def test_metadata_and_link_local_addresses_are_refused_even_when_allow_listed(url: str) -> None:
    host = url.split("/")[2]
    problem = refusal(guard(host.strip("[]") if "[" not in host else host), url)
    assert "always refused" in problem


def test_a_listed_name_that_resolves_to_the_metadata_address_is_refused() -> None:
    resolver = ScriptedResolver([ipaddress.ip_address("10.0.0.5"), METADATA])
    problem = refusal(
        guard("models.example.com", resolver=resolver), "https://models.example.com/invocations"
    )
    assert "resolves to 169.254.169.254" in problem and "always refused" in problem


def test_loopback_is_reached_only_through_an_entry_naming_a_loopback_host() -> None:
    rebound = ScriptedResolver([LOOPBACK])
    problem = refusal(guard("models.example.com", resolver=rebound), "http://models.example.com/invocations")
    assert "loopback" in problem
    assert guard("127.0.0.1:8080").pin("http://127.0.0.1:8080/invocations").address == LOOPBACK
    assert guard("localhost", resolver=rebound).pin("http://localhost/x").address == LOOPBACK


@pytest.mark.parametrize(
    ("url", "named"),
    [
        ("http://admin:secret@127.0.0.1:8080/invocations", "must not carry credentials"),
        ("http://127.0.0.1:8080/invocations/../admin", ". or .. path segments"),
        ("http://127.0.0.1:8080/invocations/%2e%2e/admin", ". or .. path segments"),
        ("ftp://127.0.0.1:8080/invocations", "must be an http(s) URL"),
    ],
)
def test_credentials_dot_segments_and_other_schemes_are_refused(url: str, named: str) -> None:
    problem = refusal(guard("127.0.0.1:8080"), url)
    assert named in problem
    assert "secret" not in problem


def test_an_unknown_name_fails_the_job_and_a_silent_name_server_is_retried() -> None:
    def unknown(host: str, port: int, timeout_s: float) -> list[IpAddress]:
        raise ResolutionError("the name does not resolve") from socket.gaierror(socket.EAI_NONAME, "unknown")

    def silent(host: str, port: int, timeout_s: float) -> list[IpAddress]:
        raise ResolutionError("the name server did not answer within 5 s")

    assert "does not resolve" in refusal(
        EndpointGuard(UrlAllowList(["models.example.com"]), resolver=unknown), "https://models.example.com/x"
    )
    with pytest.raises(ModelInvocationError) as retried:
        EndpointGuard(UrlAllowList(["models.example.com"]), resolver=silent).pin(
            "https://models.example.com/x"
        )
    assert retried.value.action is QueueAction.RETRY


def test_the_call_connects_to_the_judged_address_and_a_rebinding_name_cannot_move_it(canary: Canary) -> None:
    rebinding = ScriptedResolver([LOOPBACK], [METADATA])
    url = f"http://localhost:{canary.port}/invocations"
    with client(guard("localhost", resolver=rebinding)) as http:
        for _ in range(3):
            http.invoke(url, b"tile", "image/png")
    assert rebinding.calls == 1
    assert [seen.headers["Host"] for seen in canary.seen] == [f"localhost:{canary.port}"] * 3


def test_a_name_is_judged_afresh_once_its_resolution_expires(
    canary: Canary, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(guard_module, "PIN_TTL_S", 0.0)
    rebinding = ScriptedResolver([LOOPBACK], [METADATA])
    url = f"http://localhost:{canary.port}/invocations"
    with client(guard("localhost", resolver=rebinding)) as http:
        http.invoke(url, b"tile", "image/png")
        with pytest.raises(EndpointRefusedError, match=r"resolves to 169\.254\.169\.254"):
            http.invoke(url, b"tile", "image/png")
    assert len(canary.seen) == 1


def test_redirects_are_not_followed(canary: Canary) -> None:
    with canary_server(Canary(status=302, location=f"{canary.url}/latest/meta-data/")) as redirecting:
        url = f"{redirecting.url}/invocations"
        with pytest.raises(ModelInvocationError, match=r"HTTP 302 .* redirects are not followed") as failed:
            client(guard("127.0.0.1")).invoke(url, b"tile", "image/png")
    assert failed.value.action is QueueAction.FAIL_JOB
    assert canary.seen == []


def test_the_endpoints_answer_never_reaches_the_reason() -> None:
    secret = b'{"AccessKeyId": "ASIAFROMTHEINTERNALSERVICE", "Token": "internal-body"}'
    with (
        canary_server(Canary(status=500, body=secret)) as internal,
        pytest.raises(ModelInvocationError) as failed,
    ):
        client(guard("127.0.0.1")).invoke(f"{internal.url}/invocations", b"tile", "image/png")
    message = str(failed.value)
    assert message.startswith(f"HTTP 500 from {internal.url}/invocations: Internal Server Error")
    assert "ASIA" not in message and "internal-body" not in message


def test_a_refused_url_is_never_connected_to(canary: Canary) -> None:
    with pytest.raises(EndpointRefusedError):
        client(guard("models.example.com")).invoke(f"{canary.url}/invocations", b"tile", "image/png")
    assert canary.seen == []
