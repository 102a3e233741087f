"""Reading an image from S3 through a local moto server, with scoped credentials."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import numpy as np
import pytest
from osgeo import gdal

from model_runner.errors import ImageReadError
from model_runner.imagery import S3Credentials, open_image

CREDENTIALS = S3Credentials("AKIDTEST", "SECRETTEST", "TOKENTEST")


@dataclass(frozen=True)
class Window:
    x: int
    y: int
    width: int
    height: int


def s3_client(endpoint: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=CREDENTIALS.access_key_id,
        aws_secret_access_key=CREDENTIALS.secret_access_key,
    )


@pytest.fixture(scope="module")
def s3_endpoint(imagery_dir: Path) -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("the moto server did not start")
                time.sleep(0.05)
        s3 = s3_client(endpoint)
        s3.create_bucket(Bucket="mr-images")
        s3.upload_file(str(imagery_dir / "RGB.byte.tif"), "mr-images", "scenes/RGB.byte.tif")
        yield endpoint
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_s3_image_reads_the_same_pixels_as_the_local_file(s3_endpoint: str, imagery_dir: Path) -> None:
    expected = gdal.Open(str(imagery_dir / "RGB.byte.tif")).ReadAsArray(10, 20, 50, 40)
    path = "/vsis3/mr-images/scenes/RGB.byte.tif"
    with open_image(
        "s3://mr-images/scenes/RGB.byte.tif", credentials=CREDENTIALS, s3_endpoint=s3_endpoint
    ) as source:
        np.testing.assert_array_equal(source.read(Window(10, 20, 50, 40)), expected)
        assert gdal.GetPathSpecificOption(path, "AWS_SESSION_TOKEN") == "TOKENTEST"
        assert (
            gdal.GetPathSpecificOption("/vsis3/mr-images/scenes/RGB.byte.tif.ovr", "AWS_SESSION_TOKEN")
            == "TOKENTEST"
        )
        assert gdal.GetPathSpecificOption("/vsis3/mr-images/other/scene.tif", "AWS_SESSION_TOKEN") is None
        assert gdal.GetPathSpecificOption("/vsis3/mr-images/scenes/other.tif", "AWS_SESSION_TOKEN") is None
        assert gdal.GetPathSpecificOption("/vsis3/other-bucket/scenes/a.tif", "AWS_SESSION_TOKEN") is None
    assert gdal.GetPathSpecificOption(path, "AWS_SESSION_TOKEN") is None


def test_missing_s3_object_says_so(s3_endpoint: str) -> None:
    with pytest.raises(
        ImageReadError, match=r"s3://mr-images/scenes/missing\.tif: the object does not exist"
    ):
        open_image("s3://mr-images/scenes/missing.tif", credentials=CREDENTIALS, s3_endpoint=s3_endpoint)


def vrt_of(source: str) -> bytes:
    return (
        '<VRTDataset rasterXSize="64" rasterYSize="64"><VRTRasterBand dataType="Byte" band="1">'
        f'<SimpleSource><SourceFilename relativeToVRT="0">{source}</SourceFilename>'
        "<SourceBand>1</SourceBand></SimpleSource></VRTRasterBand></VRTDataset>"
    ).encode()


def put(s3_endpoint: str, bucket: str, key: str, body: bytes) -> None:
    s3 = s3_client(s3_endpoint)
    if bucket not in [item["Name"] for item in s3.list_buckets()["Buckets"]]:
        s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key=key, Body=body)


def test_a_vrt_may_read_anywhere_in_its_own_bucket_with_the_credentials_scoped_to_each_file(
    s3_endpoint: str,
) -> None:
    put(s3_endpoint, "mr-images", "mosaics/own.vrt", vrt_of("/vsis3/mr-images/scenes/RGB.byte.tif"))
    with open_image(
        "s3://mr-images/mosaics/own.vrt", credentials=CREDENTIALS, s3_endpoint=s3_endpoint
    ) as source:
        assert source.read(Window(0, 0, 8, 8)).shape == (1, 8, 8)
        for path in source.files:
            assert gdal.GetPathSpecificOption(path, "AWS_SESSION_TOKEN") == "TOKENTEST"
    assert source.files == ("/vsis3/mr-images/mosaics/own.vrt", "/vsis3/mr-images/scenes/RGB.byte.tif")


def test_a_vrt_source_in_another_bucket_is_refused_unless_its_prefix_is_allowed(
    s3_endpoint: str, imagery_dir: Path
) -> None:
    put(s3_endpoint, "mr-shared", "dem/RGB.byte.tif", (imagery_dir / "RGB.byte.tif").read_bytes())
    put(s3_endpoint, "mr-images", "mosaics/other.vrt", vrt_of("/vsis3/mr-shared/dem/RGB.byte.tif"))
    url = "s3://mr-images/mosaics/other.vrt"
    with pytest.raises(ImageReadError, match="outside the locations this image may read"):
        open_image(url, credentials=CREDENTIALS, s3_endpoint=s3_endpoint)
    with pytest.raises(ImageReadError, match="outside the locations"):
        open_image(
            url, credentials=CREDENTIALS, s3_endpoint=s3_endpoint, source_prefixes=("s3://mr-shared/other",)
        )
    assert gdal.GetPathSpecificOption("/vsis3/mr-images/mosaics/other.vrt", "AWS_SESSION_TOKEN") is None

    with open_image(
        url, credentials=CREDENTIALS, s3_endpoint=s3_endpoint, source_prefixes=("s3://mr-shared/dem/",)
    ) as source:
        assert source.read(Window(0, 0, 8, 8)).shape == (1, 8, 8)
