"""An image that cannot be reached is a fault to retry, never a hang and never a failed image:
GDAL's HTTP reads are bounded, and a timeout or refused connection is told from a missing object."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest
from osgeo import gdal

from model_runner.errors import ImageReadError, ImageUnavailableError
from model_runner.imagery import S3Credentials, open_image
from model_runner.imagery.gdal_runtime import bound_http_reads, unreachable_reason

OPTIONS = ("GDAL_HTTP_CONNECTTIMEOUT", "GDAL_HTTP_TIMEOUT", "GDAL_HTTP_MAX_RETRY", "GDAL_HTTP_RETRY_DELAY")
CREDENTIALS = S3Credentials("AKIDTEST", "SECRETTEST")


@pytest.fixture
def one_second_reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):  # as the local stack exports them
        monkeypatch.setenv(name, "testing")
    saved = {key: gdal.GetConfigOption(key) for key in OPTIONS}
    bound_http_reads(connect_timeout_s=1, read_timeout_s=1, max_retries=0)
    yield
    for key, value in saved.items():
        gdal.SetConfigOption(key, value)


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A loopback port that accepts connections (the kernel does) and never answers."""
    with socket.create_server(("127.0.0.1", 0), backlog=16) as server:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"


@pytest.fixture
def closed_port() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


def test_a_silent_s3_endpoint_makes_the_image_unavailable_within_the_read_timeout(
    one_second_reads: None, silent_server: str
) -> None:
    started = time.monotonic()
    with pytest.raises(ImageUnavailableError, match=r"cannot reach image s3://bucket/scene\.tif now: "):
        open_image("s3://bucket/scene.tif", credentials=CREDENTIALS, s3_endpoint=silent_server)

    assert time.monotonic() - started < 10  # without a timeout GDAL would wait forever


def test_a_refused_connection_is_unavailable_not_missing(one_second_reads: None, closed_port: str) -> None:
    with pytest.raises(ImageUnavailableError) as raised:
        open_image("s3://bucket/scene.tif", credentials=CREDENTIALS, s3_endpoint=closed_port)

    assert not isinstance(raised.value, ImageReadError)  # retried, not recorded as a bad image


@pytest.mark.parametrize(
    ("messages", "unreachable"),
    [
        (["HTTP error code: 0 - http://h/b/k.tif. Retrying again in 0.5 secs"], True),
        (["CURL error: Recv failure: Connection reset by peer"], True),
        (["HTTP error code: 503 - http://h/b/k.tif. Retrying again in 1.0 secs"], True),
        (["HTTP response code on http://127.0.0.1:1/bucket/scene.tif: 0"], True),
        (
            ["TIFFReadEncodedTile:Read error at row 1, col 1; got 0 bytes, expected 196608"],
            True,
        ),
        (["The specified key does not exist."], False),
        (["HTTP error code: 404 - http://h/b/k.tif"], False),
        (['TIFFReadDirectory: Incorrect value for "Compression"'], False),
    ],
)
def test_gdal_messages_of_a_connection_fault_are_told_from_those_of_a_bad_image(
    messages: list[str], unreachable: bool
) -> None:
    assert (unreachable_reason(messages) is not None) is unreachable
