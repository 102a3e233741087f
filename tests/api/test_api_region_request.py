"""RegionRequest: carries every option of its job and round-trips through JSON exactly."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from model_runner.api import JobOptions, PixelWindow, RegionRequest, image_id_for, parse_image_request
from model_runner.tiling import Region, Window, unit_id

ROLE = "arn:aws:iam::123456789012:role/reader"
BODY = {
    "jobId": "job-9",
    "jobName": "ports",
    "imageUrls": ["s3://images/a.ntf", "s3://images/b.ntf"],
    "imageReadRole": ROLE,
    "imageProcessor": {"name": "detector", "type": "SM_ENDPOINT_ASYNC", "assumedRole": ROLE},
    "imageProcessorParameters": {"ContentType": "image/nitf", "RequestTTLSeconds": 600},
    "imageProcessorTileSize": 512,
    "imageProcessorTileOverlap": 64,
    "imageProcessorTileFormat": "NITF",
    "imageProcessorTileCompression": "J2K",
    "regionOfInterest": "POLYGON ((1 1, 2 1, 2 2, 1 1))",
    "featureProperties": [{"mission": "m1"}],
    "postProcessing": [
        {
            "step": "FEATURE_DISTILLATION",
            "algorithm": {"algorithmType": "SOFT_NMS", "iouThreshold": 0.3, "sigma": 0.25},
        }
    ],
    "outputs": [{"type": "Kinesis", "stream": "features", "batchSize": 100}],
}
WINDOW = PixelWindow(x=10240, y=0, width=2747, height=10240)
AREA = Window(0, 0, 12987, 10240)


def region() -> RegionRequest:
    request, _ = parse_image_request(BODY)
    tiled = Region(
        image_id=image_id_for("job-9", "s3://images/b.ntf"),
        window=WINDOW.to_window(),
        area=AREA,
        tile_size=512,
        overlap=64,
    )
    return RegionRequest.for_region(request, request.image_urls[1], tiled, request_type="async_sm_endpoint")


def test_region_carries_every_job_option_including_read_role_and_distillation() -> None:
    request, _ = parse_image_request(BODY)
    made = region()

    for name in JobOptions.model_fields:
        assert getattr(made, name) == getattr(request, name), name
    assert made.image_read_role == ROLE
    assert made.distillation is not None
    assert (made.distillation.iou_threshold, made.distillation.sigma) == (0.3, 0.25)
    assert made.image_url == "s3://images/b.ntf"
    assert made.window == WINDOW
    assert made.area.to_window() == AREA
    assert (made.job_name, made.request_type) == ("ports", "async_sm_endpoint")
    assert made.region().window == WINDOW.to_window()


def test_region_round_trips_through_json_exactly() -> None:
    made = region()
    text = made.model_dump_json(by_alias=True)

    again = RegionRequest.model_validate_json(text)

    assert again == made
    assert again.model_dump_json(by_alias=True) == text


def test_ids_are_deterministic_and_distinguish_images_and_windows() -> None:
    made = region()

    assert made.image_id == image_id_for("job-9", "s3://images/b.ntf") == "job-9:s3://images/b.ntf"
    assert made.region_id == unit_id(made.image_id, WINDOW.to_window())
    assert made.region_id == f"{made.image_id}:x10240-y0-w2747-h10240"
    assert region().region_id == made.region_id
    other = made.model_copy(update={"window": PixelWindow(x=0, y=0, width=2747, height=10240)})
    assert other.region_id != made.region_id


def test_ids_in_a_message_are_recomputed_not_trusted() -> None:
    data = region().model_dump(by_alias=True, mode="json")
    data["regionId"] = "forged"

    assert RegionRequest.model_validate(data).region_id == region().region_id


@pytest.mark.parametrize(
    "window", [{"x": -1, "y": 0, "width": 1, "height": 1}, {"x": 0, "y": 0, "width": 0, "height": 1}]
)
def test_region_window_must_be_inside_the_image_grid(window: dict[str, int]) -> None:
    data = region().model_dump(by_alias=True, mode="json") | {"window": window}
    with pytest.raises(ValidationError):
        RegionRequest.model_validate(data)
