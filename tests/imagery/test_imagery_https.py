"""https:// images on an allow-listed host, read through GDAL's /vsicurl/ over loopback TLS; a VRT
there may read only from its own host."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from https_files import FileServer, https_files
from osgeo import gdal
from tls_support import TlsFiles, make_self_signed

from model_runner.api.image_locations import ImageLocations
from model_runner.errors import ImageReadError
from model_runner.imagery import ImageCache
from model_runner.security import UrlAllowList
from model_runner.testing.images import write_image
from model_runner.tiling import Window


class NoCredentials:
    endpoint_url = None

    def credentials(self, role_arn: str | None = None) -> Any:
        raise AssertionError("an https image needs no AWS credentials")


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsFiles]:
    files = make_self_signed(tmp_path_factory.mktemp("tls"))
    gdal.SetConfigOption("SSL_CERT_FILE", str(files.cert))  # how GDAL 3.6 takes a CA bundle
    yield files
    gdal.SetConfigOption("SSL_CERT_FILE", None)


@pytest.fixture
def served(tmp_path: Path, tls: TlsFiles) -> Iterator[FileServer]:
    write_image(str(tmp_path / "scene.tif"), np.full((1, 32, 32), 9, dtype=np.uint8))
    with https_files(tmp_path, tls) as server:
        yield server


def cache_for(*hosts: str) -> ImageCache:
    return ImageCache(NoCredentials(), ImageLocations(https_hosts=UrlAllowList(hosts)))


def test_an_https_image_on_an_allow_listed_host_is_read(served: FileServer) -> None:
    cache = cache_for(f"127.0.0.1:{served.port}")
    image = cache.get(f"{served.url}/scene.tif")
    try:
        assert int(image.read(Window(0, 0, 4, 4))[0, 0, 0]) == 9
    finally:
        cache.close()


def test_an_https_image_on_another_host_is_refused_without_a_request(served: FileServer) -> None:
    with pytest.raises(ImageReadError, match="not in IMAGE_HTTPS_HOSTS"):
        cache_for("imagery.example.com").get(f"{served.url}/scene.tif")
    assert served.paths == []


def test_an_https_vrt_may_not_read_from_another_host(
    tmp_path: Path, tls: TlsFiles, served: FileServer
) -> None:
    other_folder = tmp_path / "other"
    other_folder.mkdir()
    write_image(str(other_folder / "scene.tif"), np.zeros((1, 32, 32), dtype=np.uint8))
    with https_files(other_folder, tls) as other:
        (tmp_path / "mosaic.vrt").write_text(
            '<VRTDataset rasterXSize="32" rasterYSize="32"><VRTRasterBand dataType="Byte" band="1">'
            f"<SimpleSource><SourceFilename>/vsicurl/{other.url}/scene.tif</SourceFilename>"
            "<SourceBand>1</SourceBand></SimpleSource></VRTRasterBand></VRTDataset>"
        )
        with pytest.raises(ImageReadError, match="outside the locations"):
            cache_for(f"127.0.0.1:{served.port}").get(f"{served.url}/mosaic.vrt")
    assert other.paths == []
