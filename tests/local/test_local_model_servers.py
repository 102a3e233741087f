"""The built-in models served over HTTP by their own processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from http.client import HTTPConnection

import pytest
import urllib3

from model_runner.local import LocalStackError, ModelSpec, ServerProcess, start_model_server
from model_runner.local.models import INVOCATIONS_PATH, PING_PATH, model_server_command
from model_runner.local.processes import ServerCommand, start_servers

pytestmark = pytest.mark.e2e

LATENCY_MS = 300

EncodeTile = Callable[..., bytes]  # the ``tile`` fixture of conftest.py


@pytest.fixture(scope="module")
def http() -> urllib3.PoolManager:
    return urllib3.PoolManager(maxsize=16, retries=False)


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, ServerProcess]]:
    specs = {
        "centerpoint": ModelSpec("centerpoint"),
        "flood": ModelSpec("flood", count=7),
        "slow": ModelSpec("centerpoint", latency_ms=LATENCY_MS),
        "http_500": ModelSpec("failure"),
        "malformed_json": ModelSpec("failure", failure_mode="malformed_json"),
        "timeout": ModelSpec("failure", failure_mode="slow", slow_s=30),
    }
    commands = [model_server_command(spec) for spec in specs.values()]
    started = dict(zip(specs, start_servers(commands), strict=True))
    yield started
    for server in started.values():
        server.stop()


def invoke(
    http: urllib3.PoolManager, server: ServerProcess, body: bytes, timeout_s: float = 10.0
) -> urllib3.BaseHTTPResponse:
    return http.request("POST", server.url + INVOCATIONS_PATH, body=body, timeout=timeout_s)


def test_ping_answers_200(http: urllib3.PoolManager, servers: dict[str, ServerProcess]) -> None:
    for server in servers.values():
        assert http.request("GET", server.url + PING_PATH).status == 200


def test_unknown_paths_answer_404(http: urllib3.PoolManager, servers: dict[str, ServerProcess]) -> None:
    url = servers["centerpoint"].url
    assert http.request("GET", url + "/nothing").status == 404
    assert http.request("POST", url + "/models/x/invocations", body=b"x").status == 404


@pytest.mark.parametrize("tile_format", ["PNG", "NITF"])
def test_models_answer_feature_collections_over_http(
    http: urllib3.PoolManager, servers: dict[str, ServerProcess], tile: EncodeTile, tile_format: str
) -> None:
    body = tile(tile_format, 256, 128)

    centre = invoke(http, servers["centerpoint"], body)
    flood = invoke(http, servers["flood"], body)

    assert centre.status == flood.status == 200
    assert centre.headers["Content-Type"] == "application/json"
    (feature,) = json.loads(centre.data)["features"]
    assert feature["properties"]["imageBBox"] == [123.0, 59.0, 133.0, 69.0]
    assert len(json.loads(flood.data)["features"]) == 7


def test_a_chunked_tile_is_read_whole_as_the_reference_sends_it(
    servers: dict[str, ServerProcess], tile: EncodeTile
) -> None:
    body = tile("NITF", 256, 128)
    host, port = servers["centerpoint"].url.removeprefix("http://").split(":")
    connection = HTTPConnection(host, int(port), timeout=10)
    pieces = [body[start : start + 1000] for start in range(0, len(body), 1000)]

    answers = []
    for _ in range(2):  # the connection stays usable: the chunked body was consumed to its end
        connection.request("POST", INVOCATIONS_PATH, body=iter(pieces), encode_chunked=True)
        reply = connection.getresponse()
        answers.append((reply.status, json.loads(reply.read())))
    connection.close()

    assert [status for status, _ in answers] == [200, 200]
    (feature,) = answers[0][1]["features"]
    assert feature["properties"]["imageBBox"] == [123.0, 59.0, 133.0, 69.0]


def test_failure_modes_over_http(
    http: urllib3.PoolManager, servers: dict[str, ServerProcess], tile: EncodeTile
) -> None:
    body = tile("PNG", 64, 64)

    assert invoke(http, servers["http_500"], body).status == 500
    malformed = invoke(http, servers["malformed_json"], body)
    assert malformed.status == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(malformed.data)
    with pytest.raises(urllib3.exceptions.ReadTimeoutError):
        invoke(http, servers["timeout"], body, timeout_s=0.5)


def test_latency_delays_each_response(
    http: urllib3.PoolManager, servers: dict[str, ServerProcess], tile: EncodeTile
) -> None:
    body = tile("PNG", 32, 32)

    started = time.monotonic()
    assert invoke(http, servers["slow"], body).status == 200
    assert time.monotonic() - started >= LATENCY_MS / 1000


def test_concurrent_keep_alive_requests_are_all_answered(
    http: urllib3.PoolManager, servers: dict[str, ServerProcess], tile: EncodeTile
) -> None:
    body = tile("PNG", 64, 64)
    slow = servers["slow"]

    def call(_: int) -> int:
        return invoke(http, servers["flood"], body).status

    with ThreadPoolExecutor(8) as pool:
        started = time.monotonic()
        slow_statuses = list(pool.map(lambda _: invoke(http, slow, body).status, range(8)))
        concurrent_s = time.monotonic() - started
        statuses = list(pool.map(call, range(600)))

    assert slow_statuses == [200] * 8
    assert concurrent_s < 4 * LATENCY_MS / 1000, "the eight slow requests ran one after another"
    assert statuses == [200] * 600


def test_a_stopped_server_leaves_no_process() -> None:
    server = start_model_server(ModelSpec("centerpoint"))
    with server:
        assert server.popen.poll() is None
    assert server.popen.returncode is not None
    with pytest.raises(ProcessLookupError):
        os.kill(server.pid, 0)


def test_a_server_that_cannot_start_is_reported_with_its_log() -> None:
    with pytest.raises(LocalStackError, match="invalid choice: 'nope'"):
        start_servers([ServerCommand("model_runner.local.models", ("--model", "nope"))])


def test_servers_exit_when_their_parent_is_killed() -> None:
    script = (
        "from model_runner.local import ModelSpec, start_model_server\n"
        "server = start_model_server(ModelSpec('centerpoint'))\n"
        "print(server.pid, flush=True)\n"
        "import time; time.sleep(60)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    child_pid = int(parent.stdout.readline())
    os.kill(child_pid, 0)

    parent.kill()
    parent.wait()

    deadline = time.monotonic() + 5
    while _is_running(child_pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _is_running(child_pid)


def _is_running(pid: int) -> bool:
    """Whether ``pid`` is alive; an orphan is reaped by init, so a zombie counts as gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_the_command_line_serves_a_model(http: urllib3.PoolManager, tile: EncodeTile) -> None:
    command = [sys.executable, "-m", "model_runner.local.models", "--model", "flood", "--count", "3"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            url = process.stdout.readline().split()[-1]
            reply = http.request("POST", url + INVOCATIONS_PATH, body=tile("PNG", 32, 32))
            assert len(json.loads(reply.data)["features"]) == 3
        finally:
            process.terminate()
