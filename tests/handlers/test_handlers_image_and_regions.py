"""The base pair on fakes: every tile once, each outcome counted once, one terminal status."""

from __future__ import annotations

import threading

import pytest
from handler_requests import IMAGE_URL, drain_regions, image_request, pair
from osgeo import gdal

from model_runner.api import RegionRequest
from model_runner.events import JobCompleted, JobFailed, JobStarted, RegionCompleted, TileFailed
from model_runner.handlers import RegionRequestHandler, WorkInterruptedError
from model_runner.status import Status
from model_runner.testing import FakeContext, ScriptedDetector
from model_runner.testing.models import one_box

TILES = 30  # a 600 x 500 image in tiles of 128 with at least 16 of overlap: 6 x 5


def test_an_image_is_split_into_regions_each_tile_goes_to_the_model_once_and_the_image_succeeds(
    fakes: FakeContext,
) -> None:
    image_handler, region_handler = pair(fakes)

    image_handler.process_image_request(image_request(), "http")
    drain_regions(fakes, region_handler)

    record = fakes.jobs.get(f"job-1:{IMAGE_URL}")
    assert record.status is Status.SUCCESS and record.complete
    assert fakes.detector.calls == TILES
    assert fakes.detector.content_types == {"image/png"}
    regions = fakes.regions.regions_of(record.image_id)
    assert len(regions) == record.region_count > 1
    assert sum(region.total_tiles for region in regions) == TILES
    (sink,) = fakes.sinks.sinks
    ((job_id, image_id, features),) = sink.writes
    assert (job_id, image_id) == ("job-1", record.image_id)
    assert len(features) == TILES  # one box per tile, none overlapping another tile's
    assert len(fakes.events.of_type(JobStarted)) == 1
    assert [event.status for event in fakes.events.of_type(JobCompleted)] == [Status.SUCCESS]
    assert fakes.images.opened[IMAGE_URL] == 1


def test_redelivered_image_and_region_messages_change_nothing_they_already_did(fakes: FakeContext) -> None:
    image_handler, region_handler = pair(fakes)
    request = image_request()

    image_handler.process_image_request(request, "http")
    bodies = fakes.region_queue.take_all()
    for body in bodies + bodies:  # every region delivered twice
        region_handler.handle(RegionRequest.model_validate_json(body))
    image_handler.process_image_request(request, "http")  # the request redelivered after completion
    drain_regions(fakes, region_handler)

    record = fakes.jobs.get(f"job-1:{IMAGE_URL}")
    assert record.status is Status.SUCCESS
    assert len(fakes.events.of_type(RegionCompleted)) == record.region_count
    assert len(fakes.events.of_type(JobCompleted)) == 1
    assert len(fakes.sinks.sinks[0].writes) == 1
    assert fakes.detector.calls == TILES


def test_two_workers_racing_on_the_same_region_record_and_report_it_once(fakes: FakeContext) -> None:
    image_handler, _ = pair(fakes)
    image_handler.process_image_request(image_request(), "http")
    body = fakes.region_queue.take_all()[0]
    workers = [RegionRequestHandler(fakes.context) for _ in range(2)]
    threads = [
        threading.Thread(target=worker.handle, args=(RegionRequest.model_validate_json(body),))
        for worker in workers
    ]

    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    region_id = RegionRequest.model_validate_json(body).region_id
    assert [event.region_id for event in fakes.events.of_type(RegionCompleted)].count(region_id) == 1


def test_failed_tiles_make_their_region_and_image_partial_with_each_reason(fakes: FakeContext) -> None:
    calls = iter(range(1000))

    def flaky(tile: bytes) -> object:
        if next(calls) % 3 == 0:
            raise RuntimeError("GPU out of memory")
        return one_box()(tile)

    fakes.detector = ScriptedDetector(flaky)  # type: ignore[arg-type]
    image_handler, region_handler = pair(fakes)

    image_handler.process_image_request(image_request(), "http")
    drain_regions(fakes, region_handler)

    record = fakes.jobs.get(f"job-1:{IMAGE_URL}")
    failures = fakes.events.of_type(TileFailed)
    assert record.status is Status.PARTIAL
    assert len(failures) == 10 and all("GPU out of memory" in event.reason for event in failures)
    assert "first failures: tile " in record.message
    assert len(fakes.sinks.sinks[0].writes[0][2]) == TILES - 10


def test_a_model_failing_every_tile_fails_the_image_without_writing(fakes: FakeContext) -> None:
    fakes.detector = ScriptedDetector(lambda tile: {"type": "nonsense"})
    image_handler, region_handler = pair(fakes)

    image_handler.process_image_request(image_request(), "http")
    drain_regions(fakes, region_handler)

    (failed,) = fakes.events.of_type(JobFailed)
    assert failed.reason.startswith("all ") and "regions failed" in failed.reason
    assert fakes.sinks.sinks == []


def test_an_unreadable_image_fails_with_the_reason_and_the_other_images_go_on(fakes: FakeContext) -> None:
    image_handler, region_handler = pair(fakes)
    missing = "/vsimem/no-such-image.tif"

    image_handler.process_image_request(image_request(imageUrls=[missing, IMAGE_URL]), "http")
    drain_regions(fakes, region_handler)

    assert fakes.jobs.get(f"job-1:{missing}").status is Status.FAILED
    assert "cannot open image /vsimem/no-such-image.tif" in fakes.jobs.get(f"job-1:{missing}").message
    assert fakes.jobs.get(f"job-1:{IMAGE_URL}").status is Status.SUCCESS


def test_a_region_of_interest_outside_the_image_fails_it_naming_the_key(fakes: FakeContext) -> None:
    image_handler, _ = pair(fakes)
    far_away = "POLYGON((100 -10, 101 -10, 101 -9, 100 -9, 100 -10))"

    image_handler.process_image_request(image_request(regionOfInterest=far_away), "http")

    (failed,) = fakes.events.of_type(JobFailed)
    assert failed.reason.startswith("regionOfInterest: does not overlap image")
    assert fakes.detector.calls == 0


def test_j2k_tiles_without_gdals_jpeg2000_driver_fail_the_image_naming_the_key(
    fakes: FakeContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = gdal.GetDriverByName
    monkeypatch.setattr(gdal, "GetDriverByName", lambda name: None if name == "JP2OpenJPEG" else real(name))
    image_handler, _ = pair(fakes)

    image_handler.process_image_request(
        image_request(imageProcessorTileFormat="NITF", imageProcessorTileCompression="J2K"), "http"
    )

    (failed,) = fakes.events.of_type(JobFailed)
    assert failed.reason == (
        "imageProcessorTileCompression: J2K needs GDAL's JP2OpenJPEG driver, which is not installed"
    )


def test_a_stopping_worker_gives_the_region_back_without_recording_it(fakes: FakeContext) -> None:
    image_handler, region_handler = pair(fakes)
    image_handler.process_image_request(image_request(), "http")
    body = fakes.region_queue.take_all()[0]
    fakes.shutdown.set()

    with pytest.raises(WorkInterruptedError):
        region_handler.handle(RegionRequest.model_validate_json(body))

    region_id = RegionRequest.model_validate_json(body).region_id
    assert fakes.regions.rows[(f"job-1:{IMAGE_URL}", region_id)].status is Status.IN_PROGRESS
