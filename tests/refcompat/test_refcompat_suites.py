"""The reference's own integration suites, judged by its validator's rules (../shared/refcompat).

Every suite that can be reproduced here runs through the session's stack: Metadata on the real
``small.ntf``, Small and HTTP (one expected file, byte for byte) and WBID on images rebuilt from the
geotransforms the expected centres give, each with unique pixels. A replaying model answers each
tile what the reference's ``centerpoint`` model answered for it: the expected feature of that tile,
less the tile's origin (recognised by a digest of the tile's pixels). The images without any
georeferencing (``tile.png``, ``tile.jpeg``) complete with features in pixels and a warning.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from e2e_pipeline_support import allowing, extra_model
from e2e_support import image_request, send, stream_records, upload, wait_for_images
from osgeo import gdal, osr
from reference_validator import differences, kinesis_features, passing

from model_runner.local import LocalStack, ModelSpec
from model_runner.local.models.tiles import pixel_digest

pytestmark = pytest.mark.e2e

TILE, OVERLAP = 512, 128
REBUILT_SIZE = (3376, 2576)  # 9 x 7 tiles of 512 with overlap 128, as the expected centres show
SMALL_GEOTRANSFORM = (
    5.399047618346936,
    3.458513843860647e-06,
    0.0,
    50.04094857888585,
    0.0,
    -3.458513843852215e-06,
)
WBID_GEOTRANSFORM = (
    5.399164938271606,
    3.456790123456542e-06,
    0.0,
    50.04083505933118,
    0.0,
    -3.451995685007017e-06,
)


def expected(refcompat_dir: Path, name: str) -> list[dict[str, Any]]:
    features: list[dict[str, Any]] = json.loads((refcompat_dir / "expected" / name).read_text())["features"]
    return features


def rebuilt(path: Path, geotransform: tuple[float, ...], driver: str, options: list[str]) -> Path:
    """An image of REBUILT_SIZE with the geotransform, and pixels unique to every tile."""
    width, height = REBUILT_SIZE
    memory = gdal.GetDriverByName("MEM").Create("", width, height, 1, gdal.GDT_Byte)
    memory.SetGeoTransform(geotransform)
    memory.SetProjection(osr.SRS_WKT_WGS84_LAT_LONG)
    memory.GetRasterBand(1).WriteArray(np.random.default_rng(11).integers(0, 256, (height, width), np.uint8))
    gdal.GetDriverByName(driver).CreateCopy(str(path), memory, options=options)
    return path


def recorded_answers(image: Path, features: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """For each expected feature, its tile's pixel digest -> the reference model's answer (tile pixels)."""
    dataset = gdal.Open(str(image))
    answers: dict[str, list[dict[str, Any]]] = {}
    for feature in features:
        properties = feature["properties"]
        min_x, min_y, max_x, max_y = properties["imageBBox"]
        x, y = round((min_x + max_x) / 2) - TILE // 2, round((min_y + max_y) / 2) - TILE // 2
        width, height = min(TILE, dataset.RasterXSize - x), min(TILE, dataset.RasterYSize - y)
        pixels = dataset.ReadAsArray(x, y, width, height)
        digest = pixel_digest(np.asarray(pixels).reshape(-1, height, width))
        answer = {
            "imageGeometry": _shifted(properties["imageGeometry"], x, y),
            "imageBBox": _shifted(properties["imageBBox"], x, y),
            "featureClasses": properties["featureClasses"],
            "modelMetadata": properties["modelMetadata"],
        }
        assert _shifted(answer["imageGeometry"], -x, -y) == properties["imageGeometry"]  # a faithful replay
        answers.setdefault(digest, []).append({"type": "Feature", "geometry": None, "properties": answer})
    return answers


def _shifted(value: Any, dx: float, dy: float) -> Any:
    """Pixel coordinates moved by (-dx, -dy), to the reference model's own (at most 4) decimals."""
    if isinstance(value, dict):
        return {**value, "coordinates": _shifted(value["coordinates"], dx, dy)}
    if value and isinstance(value[0], list):
        return [_shifted(item, dx, dy) for item in value]
    if len(value) == 4:  # a box
        return [
            round(value[0] - dx, 6),
            round(value[1] - dy, 6),
            round(value[2] - dx, 6),
            round(value[3] - dy, 6),
        ]
    return [round(value[0] - dx, 6), round(value[1] - dy, 6)]


@pytest.fixture(scope="module")
def suites(refcompat_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, str]]:
    """Suite name -> (image, expected results file)."""
    folder = tmp_path_factory.mktemp("refcompat")
    small = rebuilt(folder / "small.tif", SMALL_GEOTRANSFORM, "GTiff", [])
    wbid = rebuilt(folder / "wbid.ntf", WBID_GEOTRANSFORM, "NITF", ["ICAT=VIS", "IDATIM=20021216151629"])
    return {
        "Centerpoint - Metadata": (refcompat_dir / "images" / "small.ntf", "centerpoint.meta.ntf.geojson"),
        "Centerpoint - Small": (small, "centerpoint_small.geojson"),
        "Centerpoint - WBID": (wbid, "centerpoint_wbid.ntf.geojson"),
    }


@pytest.fixture(scope="module")
def replay(
    suites: dict[str, tuple[Path, str]], refcompat_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The replaying model's invocations URL, answering every suite's tiles and tile.png's."""
    answers: dict[str, list[dict[str, Any]]] = {}
    for image, results in suites.values():
        answers |= recorded_answers(image, expected(refcompat_dir, results))
    (single,) = expected(refcompat_dir, "centerpoint.geojson")  # the reference's one-tile suite
    for name in ("tile.png", "tile.jpeg"):
        answers |= recorded_answers(refcompat_dir / "images" / name, [single])
    path = tmp_path_factory.mktemp("replay") / "answers.json"
    path.write_text(json.dumps(answers))
    with extra_model(ModelSpec("replay", answers=str(path))) as url:
        yield url


def run(stack: LocalStack, replay: str, image: Path, **keys: Any) -> Any:
    url = upload(stack, image)
    body = image_request(
        stack,
        [url],
        imageProcessor={"name": replay, "type": "HTTP_ENDPOINT"},
        imageProcessorTileSize=TILE,
        imageProcessorTileOverlap=OVERLAP,
        **keys,
    )
    send(stack, body)
    return body, wait_for_images(stack, body["jobId"], [url]).only


def test_the_small_and_http_suites_expect_the_same_features(refcompat_dir: Path) -> None:
    # Both run small.tif, over SageMaker and over HTTP: one run answers for both.
    folder = refcompat_dir / "expected"
    small, http = (
        json.loads((folder / name).read_text())["features"]
        for name in ("centerpoint_small.geojson", "centerpoint_http_small.geojson")
    )
    assert [feature["properties"]["imageGeometry"] for feature in small] == [
        feature["properties"]["imageGeometry"] for feature in http
    ]


@pytest.mark.parametrize("suite", ["Centerpoint - Metadata", "Centerpoint - Small", "Centerpoint - WBID"])
def test_the_reference_suite_passes_its_validator(
    stack: LocalStack,
    in_process_worker: Any,
    refcompat_dir: Path,
    suites: dict[str, tuple[Path, str]],
    replay: str,
    suite: str,
) -> None:
    image, results = suites[suite]
    stream = stack.streams[0]
    in_process_worker(**allowing(stack, replay))

    body, outcome = run(
        stack,
        replay,
        image,
        outputs=[
            {"type": "S3", "bucket": "mr-results", "prefix": "e2e"},
            {"type": "Kinesis", "stream": stream, "batchSize": 1000},  # as the reference's runner sends it
        ],
    )

    want = expected(refcompat_dir, results)
    assert outcome.status == "SUCCESS", outcome.message
    assert differences(want, outcome.features) == []
    print(f"\n{suite}: {passing(want, outcome.features)} of {len(want)} expected features pass")
    assert differences(want, kinesis_features(stream_records(stack, stream), body["jobId"])) == []


@pytest.mark.parametrize("name", ["tile.png", "tile.jpeg"])
def test_an_image_without_georeferencing_completes_in_pixels_with_a_warning(
    stack: LocalStack, in_process_worker: Any, refcompat_dir: Path, replay: str, name: str
) -> None:
    in_process_worker(**allowing(stack, replay))

    _, outcome = run(stack, replay, refcompat_dir / "images" / name)

    assert outcome.status == "SUCCESS", outcome.message
    assert "no georeferencing" in outcome.message
    (feature,) = outcome.features
    assert feature["geometry"] is None and "bbox" not in feature
    assert feature["properties"]["imageGeometry"]["coordinates"][0][0] == [281.6, 307.2]
    assert "center_longitude" not in feature["properties"]
