"""The SNS message attributes of status events: the reference's names and units, ours beside them."""

from __future__ import annotations

import ast

from model_runner.events import JobStarted, RegionCompleted
from model_runner.observability import StatusPublisher
from model_runner.status import Status, StatusEvent


class Topic:
    def __init__(self) -> None:
        self.events: list[StatusEvent] = []

    def publish(self, event: StatusEvent) -> None:
        self.events.append(event)


def test_an_image_reports_started_then_in_progress_with_image_status_beside_status() -> None:
    images, regions = Topic(), Topic()

    StatusPublisher(images, regions).on_event(JobStarted("job", "img", "s3://b/k.ntf", 4, "name"))

    assert [event.status for event in images.events] == [Status.STARTED, Status.IN_PROGRESS]
    attributes = images.events[1].attributes()
    assert attributes["status"] == attributes["image_status"] == "IN_PROGRESS"
    assert (attributes["job_id"], attributes["image_id"], attributes["processing_duration"]) == (
        "job",
        "img",
        "0",
    )
    assert regions.events == []


def test_a_region_reports_its_failed_tiles_as_the_reference_writes_them_and_milliseconds() -> None:
    images, regions = Topic(), Topic()
    event = RegionCompleted(
        "job",
        "img",
        "r1",
        Status.PARTIAL,
        4,
        2,
        1.2345,
        (),
        (),
        (((0, 384), (512, 512)), ((384, 0), (512, 128))),
    )

    StatusPublisher(images, regions).on_event(event)

    (status,) = regions.events
    attributes = status.attributes()
    assert attributes["processing_duration"] == "1234"  # milliseconds, whole
    assert "image_status" not in attributes
    assert ast.literal_eval(attributes["failed_tiles"]) == [
        {"1": [[0, 384], [512, 512]]},
        {"2": [[384, 0], [512, 128]]},
    ]
    assert (attributes["failed_tile_count"], attributes["total_tile_count"]) == ("2", "4")


def test_a_region_without_failed_tiles_sends_no_failed_tiles() -> None:
    images, regions = Topic(), Topic()

    StatusPublisher(images, regions).on_event(RegionCompleted("job", "img", "r1", Status.SUCCESS, 4, 0, 0.5))

    assert "failed_tiles" not in regions.events[0].attributes()
