"""The bench's stand-in for S3: ranged reads of a folder's files, each request held for the
latency asked, read by GDAL's /vsis3/ as the worker reads an image."""

from __future__ import annotations

import time
from http.client import HTTPConnection
from pathlib import Path

import numpy as np
import pytest

from model_runner.imagery import open_image
from model_runner.imagery.credentials import S3Credentials
from model_runner.local.object_server import ObjectServer, object_server_command
from model_runner.local.processes import start_servers
from model_runner.testing import write_image
from model_runner.tiling import Window

pytestmark = pytest.mark.e2e

CREDENTIALS = S3Credentials("AKIDEXAMPLE", "secret")


def get(connection: HTTPConnection, path: str, byte_range: str | None = None) -> tuple[int, bytes, float]:
    started = time.monotonic()
    connection.request("GET", path, headers={"Range": byte_range} if byte_range else {})
    answer = connection.getresponse()
    body = answer.read()
    return answer.status, body, time.monotonic() - started


def test_every_request_on_a_kept_alive_connection_waits_the_latency(tmp_path: Path) -> None:
    (tmp_path / "scene.bin").write_bytes(bytes(range(256)) * 16)
    with ObjectServer(tmp_path, "images", latency_ms=120) as server:
        connection = HTTPConnection("127.0.0.1", int(server.url.rsplit(":", 1)[1]), timeout=5)
        timings = [get(connection, "/images/scene.bin", "bytes=10-19")[2] for _ in range(3)]
        connection.close()

    assert server.requests == 3
    assert min(timings) >= 0.12


def test_without_latency_a_ranged_read_answers_at_once(tmp_path: Path) -> None:
    (tmp_path / "scene.bin").write_bytes(bytes(range(256)) * 16)
    with ObjectServer(tmp_path, "images") as server:
        connection = HTTPConnection("127.0.0.1", int(server.url.rsplit(":", 1)[1]), timeout=5)
        status, body, seconds = get(connection, "/images/scene.bin", "bytes=10-19")
        whole = get(connection, "/images/scene.bin")
        missing = get(connection, "/images/../scene.bin")[0], get(connection, "/other/scene.bin")[0]
        connection.close()

    assert (status, body) == (206, bytes(range(10, 20)))
    assert seconds < 0.1
    assert whole[:2] == (200, bytes(range(256)) * 16)
    assert missing == (404, 404)


def test_gdal_reads_an_image_from_it_with_the_latency_per_request(tmp_path: Path) -> None:
    pixels = np.random.default_rng(3).integers(0, 256, size=(3, 300, 400), dtype=np.uint8)
    write_image(str(tmp_path / "scene.tif"), pixels)
    (server,) = start_servers([object_server_command(tmp_path, "images", 80.0)])
    with (
        server,
        open_image("s3://images/scene.tif", credentials=CREDENTIALS, s3_endpoint=server.url) as image,
    ):
        started = time.monotonic()
        window = image.read(Window(100, 50, 200, 150))
        seconds = time.monotonic() - started

    np.testing.assert_array_equal(window, pixels[:, 50:200, 100:300])
    assert seconds >= 0.08
