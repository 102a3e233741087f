"""The completion claim on fakes: two copies of the last region never write the sinks twice, a
completer that died is taken over once its claim runs out (with the same feature ids), and a
completer that lost its claim writes nothing more."""

from __future__ import annotations

import dataclasses
import threading
import time

import pytest
from handler_requests import IMAGE_URL, image_request, pair

from model_runner.api import RegionRequest
from model_runner.events import JobCompleted
from model_runner.handlers import RegionRequestHandler
from model_runner.handlers.image_completion import CompletionLostError, CompletionPendingError
from model_runner.sinks import SinkUnavailableError
from model_runner.status import Status
from model_runner.testing import FakeContext, fake_settings

IMAGE_ID = f"job-1:{IMAGE_URL}"
KINESIS_THEN_S3 = [{"type": "Kinesis", "stream": "features"}, {"type": "S3", "bucket": "results"}]


def all_but_the_last_region(fakes: FakeContext, **keys: object) -> RegionRequest:
    """Run the job up to its last region (not processed yet); that region's request."""
    image_handler, region_handler = pair(fakes)
    image_handler.process_image_request(image_request(**keys), "http")
    *others, last = fakes.region_queue.take_all()
    for body in others:
        region_handler.handle(RegionRequest.model_validate_json(body))
    return RegionRequest.model_validate_json(last)


def other_worker(fakes: FakeContext) -> RegionRequestHandler:
    """A region handler of a second worker sharing the same tables, queues and sinks."""
    return RegionRequestHandler(dataclasses.replace(fakes.context, worker_id="worker-2"))


def test_two_copies_of_the_last_region_at_once_write_the_sinks_once(fakes: FakeContext) -> None:
    writing, may_finish = threading.Event(), threading.Event()

    def hold() -> None:
        writing.set()
        assert may_finish.wait(10)

    fakes.sinks.before_write[0] = hold
    last = all_but_the_last_region(fakes)
    first = threading.Thread(target=RegionRequestHandler(fakes.context).handle, args=(last,))
    first.start()
    assert writing.wait(10), "the first copy never reached the sinks"
    copy = threading.Thread(target=other_worker(fakes).handle, args=(last,))  # lost the count
    copy.start()

    time.sleep(0.5)
    assert copy.is_alive()  # waiting for the holder of the claim, not writing
    may_finish.set()
    first.join(10)
    copy.join(10)

    assert not copy.is_alive()
    assert len(fakes.sinks.sinks[0].writes) == 1
    assert len(fakes.events.of_type(JobCompleted)) == 1
    assert fakes.jobs.get(IMAGE_ID).status is Status.SUCCESS


def test_a_stopping_worker_waiting_for_the_claim_gives_its_message_back_at_once(fakes: FakeContext) -> None:
    last = all_but_the_last_region(fakes)
    fakes.regions.start_region(last.image_id, last.region_id)  # another worker processed and counted it
    fakes.regions.finish_region(
        last.image_id, last.region_id, Status.SUCCESS, total_tiles=6, failed_tiles=0, failures=[]
    )
    fakes.jobs.record_region(last.image_id, last.region_id, Status.SUCCESS, claimant="holder", lease_s=60)
    fakes.shutdown.set()

    with pytest.raises(CompletionPendingError) as pending:
        other_worker(fakes).handle(last)

    assert pending.value.delay_s == 0
    assert fakes.sinks.sinks == [] or fakes.sinks.sinks[0].writes == []


def test_a_completer_that_died_mid_write_is_taken_over_when_its_claim_runs_out_with_the_same_ids(
    fakes: FakeContext,
) -> None:
    fakes.settings = fake_settings(REGION_SIZE="256", WORKERS="2", COMPLETION_LEASE="3")
    crashes = iter([RuntimeError("worker killed while writing S3")])

    def crash_once() -> None:
        crash = next(crashes, None)
        if crash is not None:
            raise crash

    fakes.sinks.before_write[1] = crash_once
    last = all_but_the_last_region(fakes, outputs=KINESIS_THEN_S3)
    with pytest.raises(RuntimeError):
        RegionRequestHandler(fakes.context).handle(last)  # counted the last region, wrote Kinesis, died
    kinesis, s3 = fakes.sinks.sinks
    died = time.monotonic()

    other_worker(fakes).handle(last)  # the message comes back at once: it waits out the claim

    assert time.monotonic() - died >= 2.5  # not before the dead worker's 3 s claim ran out
    assert len(fakes.events.of_type(JobCompleted)) == 1
    assert len(s3.writes) == 1
    first_ids = [feature["id"] for feature in kinesis.writes[0][2]]
    second_ids = [feature["id"] for feature in kinesis.writes[1][2]]
    assert len(kinesis.writes) == 2  # a crash mid-write repeats records: consumers dedupe by id
    assert first_ids == second_ids and len(set(first_ids)) == len(first_ids) > 0


def test_a_completer_whose_claim_was_taken_over_writes_nothing_more(fakes: FakeContext) -> None:
    fakes.settings = fake_settings(REGION_SIZE="256", WORKERS="2", COMPLETION_LEASE="3")

    def taken_over_while_writing() -> None:
        fakes.jobs.claims[IMAGE_ID] = ("worker-2", time.time() + 60)
        time.sleep(1.5)  # the next renewal (every second) is refused

    fakes.sinks.before_write[0] = taken_over_while_writing
    last = all_but_the_last_region(fakes, outputs=KINESIS_THEN_S3)

    with pytest.raises(CompletionLostError):
        RegionRequestHandler(fakes.context).handle(last)

    kinesis, s3 = fakes.sinks.sinks
    assert len(kinesis.writes) == 1 and s3.writes == []
    assert fakes.events.of_type(JobCompleted) == []
    assert not fakes.jobs.get(IMAGE_ID).status.is_terminal


def test_a_sink_that_cannot_be_reached_now_leaves_the_image_to_a_retry_instead_of_failing_it(
    fakes: FakeContext,
) -> None:
    outage = iter([SinkUnavailableError("S3 s3://results/job-1: Read timeout on endpoint URL")])

    def unreachable_once() -> None:
        fault = next(outage, None)
        if fault is not None:
            raise fault

    fakes.sinks.before_write[0] = unreachable_once
    last = all_but_the_last_region(fakes)
    with pytest.raises(SinkUnavailableError):
        RegionRequestHandler(fakes.context).handle(last)
    assert not fakes.jobs.get(IMAGE_ID).status.is_terminal

    RegionRequestHandler(fakes.context).handle(last)  # the message comes back: the same worker retries

    assert fakes.jobs.get(IMAGE_ID).status is Status.SUCCESS
    assert len(fakes.sinks.sinks[0].writes) == 1 and len(fakes.events.of_type(JobCompleted)) == 1
