"""A worker with the scheduler starts its next region while the one before finishes: the next one
takes over its units once it is down to its last tiles, and the loop takes new images in while a
region sends its tiles; never more than its limit of regions in hand."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

from handler_requests import IMAGE_URL, image_request
from in_flight import InFlight
from worker_env import WORKER_ENV

from model_runner.api import ImageProcessor, RegionRequest
from model_runner.aws.sqs import QueueMessage
from model_runner.config import load_settings
from model_runner.events import EventBus
from model_runner.scheduling import NewWork, leased_calls
from model_runner.testing import InMemoryRegionSchedule, RecordedEvents
from model_runner.testing.context import FixedCapacity
from model_runner.tiling import GridTilingStrategy, Window
from model_runner.worker.loop import Worker
from model_runner.worker.overlapped_regions import OverlappedRegions
from model_runner.worker.scheduler import ScheduledRegions

ENV = {**WORKER_ENV, "SCHEDULER_THROTTLING_ENABLED": "true"}
ENDPOINT = "https://model.test/invocations"


class Images:
    """The image queue: hands out the images it is given, one per receive."""

    url = "https://sqs/images"

    def __init__(self) -> None:
        self.waiting: list[QueueMessage] = []

    def receive(self, *, wait_s: int, visibility_s: int, max_messages: int = 1) -> list[QueueMessage]:
        return [self.waiting.pop(0)] if self.waiting else []

    def delete(self, message: QueueMessage) -> None:
        pass


class Regions:
    """The handlers: each region says it is down to its last tiles, then finishes when let."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.finished: list[str] = []
        self.images: list[str] = []
        self.may_finish: dict[str, threading.Event] = {}

    def pair_for(self, request_type: str, endpoint_type: str) -> Any:
        regions = self

        class RegionHandler:
            def handle(self, request: RegionRequest) -> None:
                regions.started.append(request.region_id)
                leased = leased_calls()
                assert leased is not None
                leased.last_tiles()
                regions.may_finish.setdefault(request.region_id, threading.Event()).wait(5)
                regions.finished.append(request.region_id)

        class ImageHandler:
            def process_image_request(self, request: Any, request_type: str) -> None:
                regions.images.append(request.job_id)

        pair = {
            "region_handler": RegionHandler(),
            "image_handler": ImageHandler(),
            "request_type": request_type,
        }
        return type("Pair", (), pair)()


def region_bodies(count: int) -> list[str]:
    request = image_request()
    windows = GridTilingStrategy().regions(Window(0, 0, 600 * count, 500), (600, 500), 128, 16, image_id="i")
    return [RegionRequest.for_region(request, IMAGE_URL, region).model_dump_json() for region in windows]


def until(condition: Callable[[], bool], poll: Callable[[], object]) -> None:
    deadline = time.monotonic() + 5
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        poll()


def test_the_next_region_starts_on_the_ending_ones_units_while_it_finishes(tmp_path: Any) -> None:
    schedule = InMemoryRegionSchedule()
    processor = json.dumps(
        {
            "processor": ImageProcessor(name=ENDPOINT, type="HTTP_ENDPOINT").model_dump(
                by_alias=True, mode="json"
            )
        }
    )
    bodies = region_bodies(3)
    work = [NewWork(index, "i", f"r{index}", "job-1", 16, body) for index, body in enumerate(bodies)]
    schedule.add(ENDPOINT, "i", work, processor)
    settings = load_settings({**ENV, "LIVENESS_FILE": str(tmp_path / "alive")})
    scheduled = ScheduledRegions(schedule, FixedCapacity(4), settings, RecordedEvents(), "w")
    images, regions = Images(), Regions()
    loop = Worker(
        settings,
        images,  # type: ignore[arg-type]
        Images(),  # type: ignore[arg-type]
        regions,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        EventBus(),
        threading.Event(),
        scheduled=scheduled,
    )
    ids = [RegionRequest.model_validate_json(body).region_id for body in bodies]

    until(lambda: len(regions.started) == 2, loop.poll_once)
    assert regions.finished == []  # the first is still finishing: both are in hand
    assert [(load.used, load.leased) for load in schedule.loads()] == [(4, 2)]  # its units moved

    images.waiting.append(QueueMessage(images.url, "image", "receipt", json.dumps(image_request_body()), 1))
    until(lambda: regions.images == ["job-2"], loop.poll_once)  # taken in while a region is in hand

    for region_id in ids:
        regions.may_finish.setdefault(region_id, threading.Event()).set()
    until(lambda: len(regions.finished) == 3, loop.poll_once)
    loop._overlapped.join()
    assert regions.started == ids and sorted(regions.finished) == sorted(ids)
    assert [(load.used, load.leased, load.pending) for load in schedule.loads()] == [(0, 0, 0)]


def image_request_body() -> dict[str, Any]:
    return {
        "jobId": "job-2",
        "imageUrls": [IMAGE_URL],
        "imageProcessor": {"name": "shared-endpoint", "type": "SM_ENDPOINT"},
        "outputs": [{"type": "S3", "bucket": "results"}],
    }


def test_no_more_regions_than_the_limit_are_in_hand() -> None:
    regions = OverlappedRegions(limit=2)
    release = threading.Event()
    running = InFlight()

    def region() -> None:
        with running:
            release.wait(5)

    threading.Timer(0.2, release.set).start()
    for index in range(4):
        started = threading.Event()
        regions.start(f"r{index}", region, started)
        started.set()  # each may let the next start at once: only the limit holds them back
    regions.join()

    assert running.most == 2 and not regions.in_hand()
