"""A region's start on fakes: its row is marked, its image's start time read and its image opened
at once, not one after another; the start time is read once per image (never on the worker that
took the image in), and a failed read again."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from handler_requests import IMAGE_URL, image_request, pair

from model_runner.api import RegionRequest
from model_runner.events import RegionCompleted
from model_runner.handlers.job_starts import JobStarts
from model_runner.testing import FakeContext


def meeting(call: Callable[..., Any], barrier: threading.Barrier) -> Callable[..., Any]:
    """``call``, which first waits (a while) for the others meeting at ``barrier``, the first time."""
    met = threading.Event()

    def waiting(*arguments: Any, **keywords: Any) -> Any:
        if not met.is_set():
            met.set()
            barrier.wait()
        return call(*arguments, **keywords)

    return waiting


def test_a_regions_row_its_images_start_time_and_its_image_are_asked_for_at_once(
    fakes: FakeContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    image_handler, region_handler = pair(fakes)
    image_handler.process_image_request(image_request(), "http")  # the first region is processed
    bodies = fakes.region_queue.take_all()
    assert len(bodies) >= 3  # the two handled here are not the image's last
    handler = type(region_handler)(fakes.context)  # another worker: nothing known of the image yet
    barrier = threading.Barrier(3, timeout=2.0)  # broken (and the region fails) if any waits for another
    read_starts: list[str] = []
    get_job = fakes.jobs.get

    def started_at(image_id: str) -> Any:
        read_starts.append(image_id)
        return get_job(image_id)

    monkeypatch.setattr(fakes.regions, "start_region", meeting(fakes.regions.start_region, barrier))
    monkeypatch.setattr(fakes.images, "get", meeting(fakes.images.get, barrier))
    monkeypatch.setattr(fakes.jobs, "get", meeting(started_at, barrier))

    for body in bodies[:2]:
        handler.handle(RegionRequest.model_validate_json(body))

    assert not barrier.broken
    assert read_starts == [f"job-1:{IMAGE_URL}"]  # once for both regions
    assert len(fakes.events.of_type(RegionCompleted)) == 3


def test_a_failed_read_of_an_images_start_time_is_raised_and_tried_again() -> None:
    answers: list[Any] = [OSError("throttled"), 1700000000.0]

    def read(image_id: str) -> float:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return float(answer)

    starts = JobStarts(read)
    starts.ahead("img")

    with pytest.raises(OSError, match="throttled"):
        starts.started_at("img")
    assert starts.started_at("img") == 1700000000.0
    assert starts.started_at("img") == 1700000000.0 and answers == []


def test_the_worker_that_took_the_image_in_does_not_read_its_start_time_again(
    fakes: FakeContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    image_handler, region_handler = pair(fakes)
    read: list[str] = []
    get_job = fakes.jobs.get

    def reading(image_id: str) -> Any:
        read.append(image_id)
        return get_job(image_id)

    monkeypatch.setattr(fakes.jobs, "get", reading)
    image_handler.process_image_request(image_request(), "http")  # the first region is processed
    for body in fakes.region_queue.take_all()[:2]:
        region_handler.handle(RegionRequest.model_validate_json(body))

    assert read == []
    assert len(fakes.events.of_type(RegionCompleted)) == 3
