"""The worker loop: take a message from the region or image queue, process it, settle it.

Regions come first, so images already started finish before new ones begin. With the scheduler on
(docs/scheduling.md), a waiting image message is taken first (its intake only adds its regions to
the schedule, and the cycle that may start its first region runs at once, before the image's
events are delivered and its message deleted), then the region the cycle admits, then region
messages (asynchronous endpoints), then the image queue's long poll. A scheduled region runs on its own thread
(:mod:`model_runner.worker.overlapped_regions`): the loop takes images in while it sends its tiles
and admits the next region once it is down to its last ones, while it finishes. While a message
is processed its visibility is extended (heartbeat) as long as its work makes progress, so a long
region is never handed to a second worker and a stuck one is. What happens to a message whose
processing raised:

* deferred (the worker is stopping, another worker is completing the image): given back, at once
  or after the delay the error asks for; never counted as a failure;
* unreadable (not JSON, no job): dead-lettered at once;
* the request's fault (``QueueAction.FAIL_JOB``), from any handler or hook: its images are
  recorded FAILED with the reason, and the message deleted;
* a transient fault or a bug: given back for a retry after a delay that doubles with each
  receive; on its MAX_RECEIVES-th receive its images are recorded FAILED with the last error
  instead, so nothing reaches a dead-letter queue without a status.

No queue fault ends the loop: a failed receive is retried with backoff, settling calls are retried
a few times and then left to the visibility timeout, and a message whose receipt is gone (the queue
was purged) is dropped. A shutdown (SIGTERM) stops taking messages; a region in progress stops
taking new tiles and its message is released at once for another worker.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from functools import partial

from pydantic import ValidationError

from model_runner.api import RegionRequest, parse_image_request
from model_runner.aws.sqs import MessageQueue, QueueMessage
from model_runner.backoff import Backoff
from model_runner.config import WorkerSettings
from model_runner.errors import (
    InvalidRequestError,
    ModelRunnerError,
    UnreadableMessageError,
)
from model_runner.events import EventBus
from model_runner.handlers.image_completion import ImageCompletion
from model_runner.registry import HandlerSelector, select_request_type
from model_runner.worker.failures import MessageFailures
from model_runner.worker.heartbeat import heartbeat
from model_runner.worker.intake import RequestIntake
from model_runner.worker.liveness import Liveness
from model_runner.worker.memory import release_free_memory
from model_runner.worker.overlapped_regions import OverlappedRegions
from model_runner.worker.progress import ProgressMonitor
from model_runner.worker.scheduler import ScheduledRegions
from model_runner.worker.settlement import FailMessage, Settlement
from model_runner.worker.work_queue import WorkQueue

logger = logging.getLogger(__name__)

POLL_WAIT_S = 2
"""Long-poll wait of the image queue when no region is waiting (capped by QUEUE_WAIT_SECONDS):
an idle worker takes a new image at once, and a region message waits at most this long."""
EVENT_FLUSH_S = 30.0
"""How long a settled message waits for its events to reach the observers (status to SNS)."""
LONG_POLL = -1
"""The wait of the image queue's receive, decided when it comes: long unless capacity is awaited."""
RECEIVE_BACKOFF = Backoff(max_attempts=1, base_s=1.0, cap_s=30.0)
"""Waits between failed receives: 1 s doubling to 30 s, with jitter."""


class Worker:
    """Polls both queues until ``shutdown`` is set; one message at a time, but for scheduled
    regions, which overlap (one sending its tiles, the others finishing)."""

    def __init__(
        self,
        settings: WorkerSettings,
        image_queue: MessageQueue,
        region_queue: MessageQueue,
        selector: HandlerSelector,
        completion: ImageCompletion,
        events: EventBus,
        shutdown: threading.Event,
        request_type: str | None = None,
        progress: ProgressMonitor | None = None,
        intake: RequestIntake | None = None,
        scheduled: ScheduledRegions | None = None,
    ) -> None:
        self._settings = settings
        self._intake = intake or RequestIntake.from_settings(settings)
        self._image_queue = image_queue
        self._region_queue = region_queue
        self._scheduled = scheduled
        self._selector = selector
        self._failures = MessageFailures(completion)
        self._events = events
        self._shutdown = shutdown
        self._request_type = request_type
        self._liveness = Liveness(settings.liveness_file)
        self.progress = progress or ProgressMonitor(settings.stall_timeout_s)
        self._settlement = Settlement(
            Backoff(max_attempts=5, base_s=0.5, cap_s=8.0, sleep=self._pause),
            max_receives=settings.max_receives,
            retry_base_s=settings.throttling_retry_timeout_s,
        )
        self._receive_failures = 0
        self._in_hand: dict[str, tuple[WorkQueue, QueueMessage]] = {}
        self._in_hand_lock = threading.Lock()
        self._overlapped = OverlappedRegions()

    def run(self) -> None:
        """Process messages until shutdown; nothing but a shutdown ends it."""
        logger.info("worker started")
        try:
            with self._liveness.kept_while_progressing(self.progress, self._settings.liveness_interval_s):
                while not self._shutdown.is_set():
                    try:
                        self.poll_once()
                    except Exception:
                        logger.exception("the worker loop failed; it goes on")
                        self._shutdown.wait(RECEIVE_BACKOFF.cap_s)
                self._overlapped.join()
        finally:
            self._liveness.clear()  # a stopped worker is unhealthy at once
        logger.info("worker stopped")

    def poll_once(self) -> bool:
        """Take and process one message, a region's if any is waiting; True when there was one.

        With the scheduler, a waiting image is taken in first, without waiting (intake only adds
        rows, and the cycle can weigh a job only once its rows are there: a small job must not wait
        in the image queue behind regions), and a cycle follows at once; without an image, the
        cycle alone. The region a cycle admits runs on its own thread. While it sends its tiles the
        loop goes on taking images in, and runs the next cycle as soon as its last tiles are on
        their way. While regions are in hand, only their work counts as progress: a poll or
        another message does not keep a stuck region's lease."""
        if not self._overlapped.in_hand():
            self.progress.mark()
            self._liveness.touch()
        take_in = self.handle_image_message
        if (scheduled := self._scheduled) is not None:
            take_in = partial(self._take_in, scheduled)
            took = self._take(self._image_queue, take_in, self._fail_image, 0)
            if took is None:
                return False
            if took or self._overlapped.sending():  # an image taken in is followed by a cycle
                if not took:
                    self._overlapped.wait_for_next(min(POLL_WAIT_S, self._settings.queue_wait_s))
                return took
            admitted = self._admit(scheduled)
            if admitted is None:
                return False
            if admitted or self._shutdown.is_set():
                return admitted
        for queue, handle, fail, wait in (
            (self._region_queue, self.handle_region_message, self._fail_region, 0),
            (self._image_queue, take_in, self._fail_image, LONG_POLL),
        ):
            taken = self._take(queue, handle, fail, wait)
            if taken is None:
                return False
            if taken or self._shutdown.is_set():
                return bool(taken)
        if self._work_waits_for_capacity():
            self._shutdown.wait(self._settings.scheduler_poll_s)
        return False

    def _take_in(self, scheduled: ScheduledRegions, message: QueueMessage) -> None:
        """Take an image in, then run the cycle that may start its first region at once (on an idle
        endpoint): delivering the image's events and deleting its message follow meanwhile. The
        cycle's faults are not the image's."""
        self.handle_image_message(message)
        try:
            self._admit(scheduled)
        except Exception:
            logger.exception(
                "the cycle after taking in message %s failed; the loop goes on", message.message_id
            )

    def _admit(self, scheduled: ScheduledRegions) -> bool | None:
        """Run a scheduling cycle and start the region it admits, unless a region of this worker
        is still sending its tiles; as :meth:`_take`."""
        if self._overlapped.sending():
            return False
        self._overlapped.make_room()
        return self._take(scheduled, partial(self.handle_scheduled_region, scheduled), self._fail_region, 0)

    def _take(
        self, queue: WorkQueue, handle: Callable[[QueueMessage], None], fail: FailMessage, wait: int
    ) -> bool | None:
        """Receive from ``queue`` and process what came: whether a message came (None: the
        receive failed, and the loop backs off)."""
        try:
            messages = queue.receive(
                wait_s=self._wait_of(wait), visibility_s=self._settings.visibility_timeout_s
            )
        except ModelRunnerError as error:
            self._receive_failed(queue, error)
            return None
        self._receive_failures = 0
        for message in messages:
            self._dispatch(queue, message, handle, fail)
        return bool(messages)

    def _wait_of(self, wait: int) -> int:
        if wait != LONG_POLL:
            return wait
        return 0 if self._work_waits_for_capacity() else min(POLL_WAIT_S, self._settings.queue_wait_s)

    def _work_waits_for_capacity(self) -> bool:
        """Whether regions wait for capacity that another worker may give back any moment: then
        the worker looks again soon (SCHEDULER_POLL_SECONDS) instead of long-polling the image queue."""
        return self._scheduled is not None and self._scheduled.work_waiting

    def abandon(self) -> None:
        """Give the messages in hand back to their queues at once (a stop that cannot wait for them)."""
        with self._in_hand_lock:
            in_hand = list(self._in_hand.values())
        for queue, message in in_hand:
            try:
                queue.release(message, 0)
            except ModelRunnerError as error:
                logger.warning("could not give back message %s: %s", message.message_id, error)

    def handle_image_message(self, message: QueueMessage) -> None:
        """Process an ImageRequest message; a bad request, or one naming locations or models the
        worker may not use, fails its job with the problems named."""
        try:
            request, warnings = parse_image_request(message.body, max_bytes=self._settings.max_request_bytes)
        except InvalidRequestError as error:
            reason = "invalid request: " + "; ".join(error.problems)
            self._failures.fail_image_request(message.body, reason, job_id=error.job_id)
            return
        try:
            self._intake.check(request)
        except InvalidRequestError as error:
            reason = "invalid request: " + "; ".join(error.problems)
            self._failures.fail_images(request.job_id, request.job_name, request.image_urls, reason)
            return
        for warning in warnings:
            logger.warning("job %s: %s", request.job_id, warning)
        if self._scheduled is not None:
            self._scheduled.taking_in(request)
        endpoint_type = request.image_processor.type.value
        request_type = select_request_type(
            explicit=self._request_type, configured=self._settings.request_type, endpoint_type=endpoint_type
        )
        try:
            pair = self._selector.pair_for(request_type, endpoint_type)
        except InvalidRequestError as error:
            # The request asks for an endpoint type the selected pair does not serve.
            self._failures.fail_images(request.job_id, request.job_name, request.image_urls, str(error))
            return
        pair.image_handler.process_image_request(request, pair.request_type)

    def handle_region_message(self, message: QueueMessage) -> None:
        """Process a RegionRequest message with the handler pair that accepted its image."""
        try:
            request = RegionRequest.model_validate_json(message.body)
        except ValidationError as error:
            raise UnreadableMessageError(
                f"region message {message.message_id} is not a RegionRequest: {error}"
            ) from None
        endpoint_type = request.image_processor.type.value
        request_type = select_request_type(
            explicit=request.request_type or self._request_type,
            configured=self._settings.request_type,
            endpoint_type=endpoint_type,
        )
        self._selector.pair_for(request_type, endpoint_type).region_handler.handle(request)

    def handle_scheduled_region(self, scheduled: ScheduledRegions, message: QueueMessage) -> None:
        """Process a region the scheduler admitted, within the units it leased."""
        with scheduled.leased(message):
            self.handle_region_message(message)

    def _dispatch(
        self,
        queue: WorkQueue,
        message: QueueMessage,
        handle: Callable[[QueueMessage], None],
        fail: FailMessage,
    ) -> None:
        """Process ``message``; a scheduled region on its own thread."""
        scheduled = self._scheduled
        if scheduled is None or queue is not scheduled:
            self._process(queue, message, handle, fail)
            return
        self._overlapped.start(
            f"region-{message.message_id}",
            partial(self._process, queue, message, handle, fail),
            scheduled.next_may_start(message),
        )

    def _process(
        self,
        queue: WorkQueue,
        message: QueueMessage,
        handle: Callable[[QueueMessage], None],
        fail: FailMessage,
    ) -> None:
        with self._in_hand_lock:
            self._in_hand[message.receipt_handle] = (queue, message)
        try:
            error = self._run_handler(queue, message, handle)
            if error is None:
                self._settlement.delete(queue, message)
            else:
                self._settlement.after_failure(queue, message, error, fail)
        finally:
            with self._in_hand_lock:
                self._in_hand.pop(message.receipt_handle, None)
            if queue is self._scheduled or not self._overlapped.in_hand():
                self.progress.mark()
            release_free_memory()

    def _run_handler(
        self, queue: WorkQueue, message: QueueMessage, handle: Callable[[QueueMessage], None]
    ) -> Exception | None:
        try:
            with heartbeat(
                queue,
                message,
                self._settings.visibility_timeout_s,
                self._settings.heartbeat_s,
                stalled=self.progress.stalled,
            ):
                try:
                    handle(message)
                finally:
                    self._flush_events(message)
        except ModelRunnerError as error:
            return error
        except Exception as error:
            logger.exception("unexpected failure on message %s", message.message_id)
            return error
        return None

    def _fail_image(self, message: QueueMessage, reason: str) -> bool:
        return self._failures.fail_image_request(message.body, reason)

    def _fail_region(self, message: QueueMessage, reason: str) -> bool:
        return self._failures.fail_region_request(message.body, reason)

    def _receive_failed(self, queue: WorkQueue, error: ModelRunnerError) -> None:
        self._receive_failures += 1
        delay = RECEIVE_BACKOFF.delay_s(self._receive_failures)
        logger.warning(
            "cannot receive from %s (%d failures in a row): %s; next try in %.1f s",
            queue.url,
            self._receive_failures,
            error,
            delay,
        )
        self._pause(delay)

    def _pause(self, seconds: float) -> None:
        """Wait between retries, but not past a shutdown."""
        self._shutdown.wait(seconds)

    def _flush_events(self, message: QueueMessage) -> None:
        if not self._events.flush(EVENT_FLUSH_S):
            logger.warning("the events of message %s are still being delivered", message.message_id)
