"""The bench's 10^10-pixel image: a VRT repeating one real tile, opened by the worker's own
checks on local disk and on S3, at the cost of one tile on disk."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from model_runner.imagery import open_image
from model_runner.imagery.credentials import S3Credentials
from model_runner.imagery.file_references import ImageScopeError
from model_runner.local.bench_image import IMAGES_BUCKET, make_image, mosaic_vrt
from model_runner.local.object_server import ObjectServer
from model_runner.tiling import Window

SIZE = 100_000
TILE = 2048


@pytest.fixture(scope="module")
def mosaic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_image(tmp_path_factory.mktemp("mosaic"), SIZE, TILE).path


def test_the_huge_image_opens_at_its_size_for_the_disk_of_one_tile(mosaic: Path) -> None:
    on_disk = sum(file.stat().st_size for file in mosaic.parent.iterdir())

    with open_image(str(mosaic)) as image:
        assert (image.width, image.height, image.band_count) == (SIZE, SIZE, 3)
        assert image.sensor_model() is not None
        far = image.read(Window(SIZE - 700, SIZE - 600, 512, 512))
    with open_image(str(mosaic.parent / f"bench-{TILE}.tif")) as tile:
        x, y = (SIZE - 700) % TILE, (SIZE - 600) % TILE
        same = tile.read(Window(x, y, 512, 512))

    assert 1000 * on_disk < SIZE * SIZE * 3
    assert on_disk < 2 * TILE * TILE * 3 < SIZE * SIZE * 3 / 1000
    np.testing.assert_array_equal(far, same)


@pytest.mark.e2e
def test_on_s3_the_mosaic_reads_its_tile_from_its_own_bucket(mosaic: Path) -> None:
    with (
        ObjectServer(mosaic.parent, IMAGES_BUCKET) as server,
        open_image(
            f"s3://{IMAGES_BUCKET}/{mosaic.name}", credentials=S3Credentials("a", "b"), s3_endpoint=server.url
        ) as image,
    ):
        assert (image.width, image.height) == (SIZE, SIZE)
        assert image.files == (
            f"/vsis3/{IMAGES_BUCKET}/{mosaic.name}",
            f"/vsis3/{IMAGES_BUCKET}/bench-{TILE}.tif",
        )


@pytest.mark.e2e
def test_a_mosaic_on_s3_naming_a_local_tile_is_still_refused(mosaic: Path, tmp_path: Path) -> None:
    local_tile = mosaic.parent / f"bench-{TILE}.tif"
    (tmp_path / "escape.vrt").write_text(
        mosaic_vrt(str(local_tile), TILE, SIZE).replace('relativeToVRT="1"', 'relativeToVRT="0"')
    )

    with ObjectServer(tmp_path, IMAGES_BUCKET) as server, pytest.raises(ImageScopeError, match="outside"):
        open_image(
            f"s3://{IMAGES_BUCKET}/escape.vrt", credentials=S3Credentials("a", "b"), s3_endpoint=server.url
        )
