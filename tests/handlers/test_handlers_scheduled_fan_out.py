"""With the scheduler on, an image's regions all wait in the scheduling table (none is processed
at intake), keyed by endpoint or named variant; asynchronous endpoints keep the region queue; a
redelivered image adds nothing; the scheduled regions run to one SUCCESS through the cycle."""

from __future__ import annotations

import dataclasses
import json

from handler_requests import IMAGE_URL, image_request, pair

from model_runner.api import RegionRequest
from model_runner.events import JobCompleted
from model_runner.status import Status
from model_runner.testing import FakeContext, InMemoryRegionQueue, fake_settings
from model_runner.tiling import Window
from model_runner.worker.fan_out import ScheduledFanOut
from model_runner.worker.scheduler import ScheduledRegions

MODEL = "https://model.test/invocations"


def scheduled(fakes: FakeContext) -> tuple[FakeContext, ScheduledFanOut]:
    """The fakes with the scheduler on, and the region queue port that adds to their schedule."""
    settings = fake_settings(REGION_SIZE="256", WORKERS="2", SCHEDULER_THROTTLING_ENABLED="true")
    made = dataclasses.replace(fakes, settings=settings, region_queue=InMemoryRegionQueue())
    return made, ScheduledFanOut(made.schedule, made.region_queue, made.context.tiling)


def test_every_region_waits_for_capacity_and_the_scheduled_regions_complete_the_image_once(
    fakes: FakeContext,
) -> None:
    made, fan_out = scheduled(fakes)
    context = dataclasses.replace(made.context, region_queue=fan_out)
    image_handler, region_handler = pair(made)
    image_handler.context = context
    request = image_request()

    image_handler.process_image_request(request, "http")
    image_handler.process_image_request(request, "http")  # redelivered: nothing added twice

    assert made.detector.calls == 0 and made.region_queue.take_all() == []
    (load,) = made.schedule.loads()
    assert load.key == MODEL and load.pending > 1 and load.used == 0
    worker = ScheduledRegions(made.schedule, made.capacity, context.settings, made.events, "w1")
    while (lease := worker.cycle(60.0)) is not None:
        region_handler.handle(RegionRequest.model_validate_json(lease.body))
        assert made.schedule.finish(lease)
    record = made.jobs.get(f"job-1:{IMAGE_URL}")
    assert record.status is Status.SUCCESS and record.region_count == load.pending
    assert len(made.events.of_type(JobCompleted)) == 1


def test_a_named_variant_has_its_own_key_and_asynchronous_regions_keep_the_queue(fakes: FakeContext) -> None:
    made, fan_out = scheduled(fakes)
    variant = image_request(
        imageProcessor={"name": "ep", "type": "SM_ENDPOINT"}, imageProcessorParameters={"TargetVariant": "b"}
    )
    queued = image_request(imageProcessor={"name": "slow", "type": "SM_ENDPOINT_ASYNC"})
    region = made.context.tiling.regions(Window(0, 0, 256, 256), (256, 256), 128, 16)[0]
    bodies = [
        RegionRequest.for_region(request, IMAGE_URL, region).model_dump(by_alias=True, mode="json")
        for request in (variant, queued)
    ]

    fan_out.send_many(bodies)

    assert [load.key for load in made.schedule.loads()] == ["ep/b"]
    assert json.loads(made.schedule.loads()[0].processor)["variant"] == "b"
    assert [json.loads(body)["imageProcessor"]["name"] for body in made.region_queue.take_all()] == ["slow"]
