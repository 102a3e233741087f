"""The worker loop's decisions, with fake queues and handlers: what happens to each message."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest
from worker_env import WORKER_ENV

from model_runner.aws.sqs import MessageGoneError, QueueMessage
from model_runner.backoff import Backoff
from model_runner.config import load_settings
from model_runner.errors import DeferredError, ImageReadError, ResourceNotFoundError, ServiceError
from model_runner.events import EventBus
from model_runner.registry import UnservedEndpointError
from model_runner.worker.fan_out import scheduling_key
from model_runner.worker.loop import Worker

ENV = WORKER_ENV
REQUEST = {
    "jobId": "job-1",
    "imageUrls": ["s3://b/one.tif", "s3://b/two.tif"],
    "imageProcessor": {"name": "async-endpoint", "type": "SM_ENDPOINT_ASYNC"},
    "outputs": [{"type": "S3", "bucket": "results"}],
}


class FakeQueue:
    url = "https://sqs/fake"

    def __init__(self, messages: list[QueueMessage] | None = None) -> None:
        self.messages = messages or []
        self.deleted: list[str] = []
        self.released: list[tuple[str, int]] = []
        self.dead_lettered: list[str] = []

    def receive(self, *, wait_s: int, visibility_s: int, max_messages: int = 1) -> list[QueueMessage]:
        return [self.messages.pop(0)] if self.messages else []

    def delete(self, message: QueueMessage) -> None:
        self.deleted.append(message.message_id)

    def release(self, message: QueueMessage, delay_s: int = 0) -> None:
        self.released.append((message.message_id, delay_s))

    def extend(self, message: QueueMessage, visibility_s: int) -> None:
        pass

    def dead_letter(self, message: QueueMessage) -> bool:
        self.dead_lettered.append(message.message_id)
        return True


class FakeCompletion:
    def __init__(self) -> None:
        self.failed: list[dict[str, Any]] = []

    def fail(self, **details: Any) -> None:
        self.failed.append(details)


class Selector:
    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.processed: list[Any] = []

    def pair_for(self, request_type: str, endpoint_type: str) -> Any:
        if self.error is not None:
            raise self.error
        selector = self

        class Handler:
            def process_image_request(self, request: Any, request_type: str) -> None:
                selector.processed.append((request.job_id, request_type))

        return type("Pair", (), {"image_handler": Handler(), "request_type": request_type})()


def message(body: object, message_id: str = "m1") -> QueueMessage:
    text = body if isinstance(body, str) else json.dumps(body)
    return QueueMessage("https://sqs/images", message_id, "receipt", text, 1)


def worker(images: FakeQueue, selector: Selector, completion: FakeCompletion, tmp_path: Any) -> Worker:
    settings = load_settings({**ENV, "LIVENESS_FILE": str(tmp_path / "alive")})
    stop = threading.Event()
    loop = Worker(
        settings,
        images,  # type: ignore[arg-type]
        FakeQueue(),  # type: ignore[arg-type]
        selector,  # type: ignore[arg-type]
        completion,  # type: ignore[arg-type]
        EventBus(),
        stop,
    )
    loop._settlement._backoff = Backoff(max_attempts=5, sleep=lambda seconds: None)  # no waiting
    return loop


def test_a_request_for_an_endpoint_type_the_pair_does_not_serve_fails_its_images_with_the_reason(
    tmp_path: Any,
) -> None:
    images, completion = FakeQueue([message(REQUEST)]), FakeCompletion()
    error = UnservedEndpointError(["imageProcessor.type: SM_ENDPOINT_ASYNC is not served by 'gpu'"])

    assert worker(images, Selector(error), completion, tmp_path).poll_once()

    assert [item["image_url"] for item in completion.failed] == REQUEST["imageUrls"]
    assert all("imageProcessor.type: SM_ENDPOINT_ASYNC" in item["reason"] for item in completion.failed)
    assert images.deleted == ["m1"]


def test_the_endpoint_type_selects_its_built_in_pair_and_the_message_is_deleted_after_success(
    tmp_path: Any,
) -> None:
    images, selector = FakeQueue([message(REQUEST)]), Selector()

    worker(images, selector, FakeCompletion(), tmp_path).poll_once()

    assert selector.processed == [("job-1", "async_sm_endpoint")]
    assert images.deleted == ["m1"]


def test_a_bad_request_fails_every_image_it_names_with_the_key(tmp_path: Any) -> None:
    bad = {**REQUEST, "imageProcessorTileOverlap": 5000}
    images, completion = FakeQueue([message(bad)]), FakeCompletion()

    worker(images, Selector(), completion, tmp_path).poll_once()

    assert len(completion.failed) == 2
    assert all("imageProcessorTileOverlap" in item["reason"] for item in completion.failed)
    assert images.deleted == ["m1"]


def test_an_unreadable_body_is_dead_lettered_at_once(tmp_path: Any) -> None:
    images = FakeQueue([message("not json")])

    worker(images, Selector(), FakeCompletion(), tmp_path).poll_once()

    assert images.dead_lettered == ["m1"] and images.deleted == []


@pytest.mark.parametrize(
    ("error", "released"),
    [(ServiceError("throttled"), [("m1", 10)]), (RuntimeError("a bug"), [("m1", 10)])],
)
def test_transient_faults_and_bugs_give_the_message_back_for_a_retry(
    tmp_path: Any, error: Exception, released: list[tuple[str, int]]
) -> None:
    images = FakeQueue([message(REQUEST)])

    worker(images, Selector(error), FakeCompletion(), tmp_path).poll_once()

    assert images.released == released and images.deleted == []


def test_a_failed_job_error_deletes_the_message(tmp_path: Any) -> None:
    images = FakeQueue([message(REQUEST)])

    worker(images, Selector(ImageReadError("cannot open")), FakeCompletion(), tmp_path).poll_once()

    assert images.deleted == ["m1"] and images.released == []


def test_polling_touches_the_liveness_file(tmp_path: Any) -> None:
    worker(FakeQueue(), Selector(), FakeCompletion(), tmp_path).poll_once()

    assert (tmp_path / "alive").exists()


class FlakyQueue(FakeQueue):
    """A queue whose calls fail as scripted: each list holds the errors of the next calls."""

    def __init__(self, messages: list[QueueMessage] | None = None, **failures: list[Exception]) -> None:
        super().__init__(messages)
        self.failures = failures
        self.calls: dict[str, int] = {}

    def _call(self, name: str) -> None:
        self.calls[name] = self.calls.get(name, 0) + 1
        pending = self.failures.get(name, [])
        if pending:
            raise pending.pop(0)

    def receive(self, *, wait_s: int, visibility_s: int, max_messages: int = 1) -> list[QueueMessage]:
        self._call("receive")
        return super().receive(wait_s=wait_s, visibility_s=visibility_s)

    def delete(self, message: QueueMessage) -> None:
        self._call("delete")
        super().delete(message)

    def release(self, message: QueueMessage, delay_s: int = 0) -> None:
        self._call("release")
        super().release(message, delay_s)


def received(body: object, count: int, message_id: str = "m1") -> QueueMessage:
    text = body if isinstance(body, str) else json.dumps(body)
    return QueueMessage("https://sqs/images", message_id, "receipt", text, count)


def test_failed_receives_are_retried_and_the_loop_goes_on_to_process_the_next_message(tmp_path: Any) -> None:
    images = FlakyQueue([message(REQUEST)], receive=[ServiceError("connection reset")] * 2)
    selector = Selector()
    loop = worker(images, selector, FakeCompletion(), tmp_path)
    stopper = threading.Thread(target=lambda: (wait_for(lambda: images.deleted == ["m1"]), shutdown(loop)))
    stopper.start()

    loop.run()  # returns only on shutdown
    stopper.join()

    assert images.calls["receive"] >= 3
    assert selector.processed == [("job-1", "async_sm_endpoint")]


def test_a_delete_that_fails_is_retried_and_one_whose_message_is_gone_is_dropped(tmp_path: Any) -> None:
    flaky = FlakyQueue([message(REQUEST)], delete=[ServiceError("read timeout")])
    worker(flaky, Selector(), FakeCompletion(), tmp_path).poll_once()
    assert flaky.calls["delete"] == 2 and flaky.deleted == ["m1"]

    purged = FlakyQueue([message(REQUEST)], delete=[MessageGoneError("ReceiptHandleIsInvalid")] * 5)
    assert worker(purged, Selector(), FakeCompletion(), tmp_path).poll_once()
    assert purged.calls["delete"] == 1 and purged.deleted == []


def test_a_settling_call_that_keeps_failing_is_given_up_without_killing_the_loop(tmp_path: Any) -> None:
    down = FlakyQueue([message(REQUEST)], delete=[ServiceError("connection refused")] * 10)

    assert worker(down, Selector(), FakeCompletion(), tmp_path).poll_once()

    assert down.calls["delete"] == 5 and down.deleted == []  # it comes back after its visibility timeout


def test_an_error_that_is_the_requests_fault_raised_by_a_handler_fails_its_images(tmp_path: Any) -> None:
    images, completion = FakeQueue([message(REQUEST)]), FakeCompletion()
    missing = ResourceNotFoundError("send to regions: not found (QueueDoesNotExist)")

    worker(images, Selector(missing), completion, tmp_path).poll_once()

    assert [item["image_url"] for item in completion.failed] == REQUEST["imageUrls"]
    assert all("QueueDoesNotExist" in item["reason"] for item in completion.failed)
    assert images.deleted == ["m1"] and images.released == []


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (ZeroDivisionError("division by zero"), "internal error: ZeroDivisionError: division by zero"),
        (ServiceError("dynamodb: ValidationException"), "dynamodb: ValidationException"),
    ],
    ids=["bug-in-a-hook", "fault-that-outlasts-retries"],
)
def test_a_message_failing_on_its_last_receive_fails_its_images_instead_of_being_dead_lettered(
    tmp_path: Any, error: Exception, reason: str
) -> None:
    retried = FakeQueue([received(REQUEST, 2)])
    worker(retried, Selector(error), FakeCompletion(), tmp_path).poll_once()
    assert retried.released == [("m1", 20)]  # 10 s doubled on the second receive

    last, completion = FakeQueue([received(REQUEST, 4)]), FakeCompletion()
    worker(last, Selector(error), completion, tmp_path).poll_once()

    assert last.deleted == ["m1"] and last.released == [] and last.dead_lettered == []
    assert len(completion.failed) == 2
    assert all(
        item["reason"] == f"failed on each of 4 attempts; the last: {reason}" for item in completion.failed
    )


def test_a_deferred_message_is_given_back_even_on_its_last_receive(tmp_path: Any) -> None:
    images, completion = FakeQueue([received(REQUEST, 9)]), FakeCompletion()

    worker(
        images, Selector(DeferredError("another worker is completing it", delay_s=120)), completion, tmp_path
    ).poll_once()

    assert images.released == [("m1", 120)] and completion.failed == []


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (
            '{"jobId": "deep-1", "imageUrls": ["s3://b/one.tif"], "imageProcessorParameters": {"a": '
            + "[" * 50_000
            + "]" * 50_000
            + "}}",
            "request: objects and lists are nested deeper than 32 levels",
        ),
        (
            json.dumps(
                {**REQUEST, "jobId": "big-1", "imageUrls": ["s3://b/one.tif"], "jobName": "x" * 200_000}
            ),
            "request: the message is 200",
        ),
    ],
    ids=["nested-50000-deep", "200-kb"],
)
def test_a_hostile_body_fails_the_images_it_names_and_the_worker_goes_on(
    tmp_path: Any, body: str, reason: str
) -> None:
    images, completion = FakeQueue([message(body), message(REQUEST, "m2")]), FakeCompletion()
    selector = Selector()
    loop = worker(images, selector, completion, tmp_path)

    loop.poll_once()
    loop.poll_once()

    (failed,) = completion.failed
    assert failed["reason"].startswith("invalid request: " + reason)
    assert failed["job_id"] in ("deep-1", "big-1")
    assert images.deleted == ["m1", "m2"] and selector.processed == [("job-1", "async_sm_endpoint")]


def wait_for(condition: Any, timeout_s: float = 10) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


def shutdown(loop: Worker) -> None:
    loop._shutdown.set()


@pytest.mark.parametrize(
    ("keys", "named"),
    [
        ({"imageUrls": ["/etc/passwd"]}, "imageUrls[0]: paths on the worker's disk are not accepted"),
        ({"imageUrls": ["s3://b/ok.tif", "/vsizip//tmp/a.zip/x.tif"]}, "imageUrls[1]: GDAL virtual paths"),
        ({"imageUrls": ["/vsis3/b/one.tif"]}, "imageUrls[0]: GDAL virtual paths"),
        (
            {"imageProcessor": {"name": "http://169.254.169.254/latest/meta-data/", "type": "HTTP_ENDPOINT"}},
            "imageProcessor.name: http://169.254.169.254/latest/meta-data/ is not in MODEL_ENDPOINT",
        ),
    ],
    ids=["local-path", "vsizip", "vsis3", "metadata-model"],
)
def test_a_request_naming_what_the_worker_may_not_use_fails_its_images_and_the_next_is_processed(
    tmp_path: Any, keys: dict[str, Any], named: str
) -> None:
    hostile = {**REQUEST, **keys}
    images, selector, completion = (
        FakeQueue([message(hostile), message(REQUEST, "m2")]),
        Selector(),
        FakeCompletion(),
    )
    running = worker(images, selector, completion, tmp_path)

    running.poll_once()
    assert [item["image_url"] for item in completion.failed] == hostile["imageUrls"]
    assert all(
        item["reason"].startswith("invalid request: ") and named in item["reason"]
        for item in completion.failed
    )
    assert selector.processed == []

    running.poll_once()
    assert selector.processed == [("job-1", "async_sm_endpoint")]
    assert images.deleted == ["m1", "m2"]


def test_a_stopped_worker_removes_its_liveness_file(tmp_path: Any) -> None:
    shutdown = threading.Event()
    alive_while_polling: list[bool] = []

    class StopWhilePolling(FakeQueue):
        def receive(self, *, wait_s: int, visibility_s: int, max_messages: int = 1) -> list[QueueMessage]:
            alive_while_polling.append((tmp_path / "alive").exists())
            shutdown.set()  # as SIGTERM does
            return []

    settings = load_settings({**ENV, "LIVENESS_FILE": str(tmp_path / "alive")})
    Worker(
        settings,
        StopWhilePolling(),  # type: ignore[arg-type]
        FakeQueue(),  # type: ignore[arg-type]
        Selector(),  # type: ignore[arg-type]
        FakeCompletion(),  # type: ignore[arg-type]
        EventBus(),
        shutdown,
    ).run()

    assert alive_while_polling == [True]
    assert not (tmp_path / "alive").exists()


class WaitingSchedule(FakeQueue):
    """A schedule whose regions all wait for capacity (another worker holds it)."""

    work_waiting = True


class RecordingWaits(FakeQueue):
    def __init__(self) -> None:
        super().__init__()
        self.waits: list[int] = []

    def receive(self, *, wait_s: int, visibility_s: int, max_messages: int = 1) -> list[QueueMessage]:
        self.waits.append(wait_s)
        return super().receive(wait_s=wait_s, visibility_s=visibility_s, max_messages=max_messages)


def test_while_regions_wait_for_capacity_an_idle_worker_looks_again_soon_instead_of_long_polling(
    tmp_path: Any,
) -> None:
    images = RecordingWaits()
    settings = load_settings(
        {**ENV, "LIVENESS_FILE": str(tmp_path / "alive"), "SCHEDULER_POLL_SECONDS": "0.05"}
    )
    running = Worker(
        settings,
        images,  # type: ignore[arg-type]
        FakeQueue(),  # type: ignore[arg-type]
        Selector(),  # type: ignore[arg-type]
        FakeCompletion(),  # type: ignore[arg-type]
        EventBus(),
        threading.Event(),
        scheduled=WaitingSchedule(),  # type: ignore[arg-type]
    )

    started = time.monotonic()
    assert not running.poll_once()
    elapsed = time.monotonic() - started

    assert images.waits == [0, 0]  # no long poll of the image queue
    assert 0.05 <= elapsed < 0.5
    WaitingSchedule.work_waiting = False
    try:
        running.poll_once()
    finally:
        WaitingSchedule.work_waiting = True
    assert images.waits[-1] == 1  # nothing waits: the long poll (QUEUE_WAIT_SECONDS=1) is back


class TakingInSchedule(FakeQueue):
    """A schedule with nothing to claim, recording the keys of the images taken in."""

    work_waiting = False

    def __init__(self, happened: list[Any]) -> None:
        super().__init__()
        self.happened = happened

    def taking_in(self, request: Any) -> None:
        self.happened.append(f"taking in {scheduling_key(request)}")


def test_taking_an_image_in_tells_the_scheduler_its_endpoint_before_its_handler_runs(
    tmp_path: Any,
) -> None:
    selector = Selector()
    happened = selector.processed  # the handler's work and the scheduler's, in the order they began
    request = {
        **REQUEST,
        "imageProcessor": {"name": "ep", "type": "SM_ENDPOINT"},
        "imageProcessorParameters": {"TargetVariant": "blue"},
    }
    running = Worker(
        load_settings({**ENV, "LIVENESS_FILE": str(tmp_path / "alive")}),
        FakeQueue([message(request)]),  # type: ignore[arg-type]
        FakeQueue(),  # type: ignore[arg-type]
        selector,  # type: ignore[arg-type]
        FakeCompletion(),  # type: ignore[arg-type]
        EventBus(),
        threading.Event(),
        scheduled=TakingInSchedule(happened),  # type: ignore[arg-type]
    )

    assert running.poll_once()

    assert happened == ["taking in ep/blue", ("job-1", "sm_endpoint")]


class CycleRecording(FakeQueue):
    """A schedule with nothing to claim whose cycles are recorded (or fail, with ``error``)."""

    work_waiting = False

    def __init__(self, happened: list[Any], error: Exception | None = None) -> None:
        super().__init__()
        self.happened = happened
        self.error = error

    def taking_in(self, request: Any) -> None:
        pass

    def receive(self, *, wait_s: int, visibility_s: int, max_messages: int = 1) -> list[QueueMessage]:
        self.happened.append("cycle")
        if self.error is not None:
            raise self.error
        return []


class DeletionRecording(FakeQueue):
    def __init__(self, messages: list[QueueMessage], happened: list[Any]) -> None:
        super().__init__(messages)
        self.happened = happened

    def delete(self, message: QueueMessage) -> None:
        self.happened.append("deleted")
        super().delete(message)


def scheduled_worker(images: FakeQueue, selector: Selector, schedule: FakeQueue, tmp_path: Any) -> Worker:
    return Worker(
        load_settings({**ENV, "LIVENESS_FILE": str(tmp_path / "alive")}),
        images,  # type: ignore[arg-type]
        FakeQueue(),  # type: ignore[arg-type]
        selector,  # type: ignore[arg-type]
        FakeCompletion(),  # type: ignore[arg-type]
        EventBus(),
        threading.Event(),
        scheduled=schedule,  # type: ignore[arg-type]
    )


def test_the_cycle_after_an_image_is_taken_in_runs_before_its_message_is_settled(tmp_path: Any) -> None:
    """The new job's first region may start while the image's events go out and its message is
    deleted, not after."""
    selector = Selector()
    happened = selector.processed
    request = {**REQUEST, "imageProcessor": {"name": "ep", "type": "SM_ENDPOINT"}}
    images = DeletionRecording([message(request)], happened)

    assert scheduled_worker(images, selector, CycleRecording(happened), tmp_path).poll_once()

    assert happened == [("job-1", "sm_endpoint"), "cycle", "deleted"]  # one cycle, no second one


def test_a_cycle_failing_after_an_image_is_taken_in_is_not_the_images_failure(tmp_path: Any) -> None:
    selector = Selector()
    happened = selector.processed
    request = {**REQUEST, "imageProcessor": {"name": "ep", "type": "SM_ENDPOINT"}}
    images = DeletionRecording([message(request)], happened)
    schedule = CycleRecording(happened, RuntimeError("a bug in the cycle"))

    assert scheduled_worker(images, selector, schedule, tmp_path).poll_once()

    assert happened == [("job-1", "sm_endpoint"), "cycle", "deleted"]
    assert images.released == [] and images.dead_lettered == []
