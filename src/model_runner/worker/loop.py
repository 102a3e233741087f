"""The worker loop: take a message from the region or image queue, process it, settle it.

Region messages come first, so images already started finish before new ones begin. While a
message is processed its visibility is extended (heartbeat), so a long region is never handed to a
second worker. Each error's :class:`~model_runner.errors.QueueAction` decides what happens to the
message: deleted after success or a recorded failure, released for a retry, or dead-lettered.
A shutdown (SIGTERM) stops taking messages; a region in progress stops taking new tiles and its
message is released at once for another worker.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Sequence

from pydantic import ValidationError

from model_runner.api import RegionRequest, image_id_for, parse_image_request
from model_runner.aws.sqs import MessageQueue, QueueMessage
from model_runner.config import WorkerSettings
from model_runner.errors import InvalidRequestError, ModelRunnerError, QueueAction, UnreadableMessageError
from model_runner.events import EventBus
from model_runner.handlers import WorkInterruptedError
from model_runner.handlers.image_completion import ImageCompletion
from model_runner.registry import HandlerSelector, select_request_type
from model_runner.worker.heartbeat import heartbeat
from model_runner.worker.intake import RequestIntake
from model_runner.worker.liveness import Liveness
from model_runner.worker.memory import release_free_memory

logger = logging.getLogger(__name__)

POLL_WAIT_S = 2
"""Long-poll wait of the image queue when no region is waiting (capped by QUEUE_WAIT_SECONDS):
an idle worker takes a new image at once, and a region message waits at most this long."""
EVENT_FLUSH_S = 30.0
"""How long a settled message waits for its events to reach the observers (status to SNS)."""


class Worker:
    """Polls both queues until ``shutdown`` is set; one message at a time."""

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
        intake: RequestIntake | None = None,
    ) -> None:
        self._settings = settings
        self._intake = intake or RequestIntake.from_settings(settings)
        self._image_queue = image_queue
        self._region_queue = region_queue
        self._selector = selector
        self._completion = completion
        self._events = events
        self._shutdown = shutdown
        self._request_type = request_type
        self._liveness = Liveness(settings.liveness_file)

    def run(self) -> None:
        """Process messages until shutdown."""
        logger.info("worker started")
        try:
            while not self._shutdown.is_set():
                self.poll_once()
        finally:
            self._liveness.clear()
        logger.info("worker stopped")

    def poll_once(self) -> bool:
        """Take and process one message, a region's if any is waiting; True when there was one."""
        self._liveness.touch()
        visibility = self._settings.visibility_timeout_s
        for queue, handle, wait in (
            (self._region_queue, self.handle_region_message, 0),
            (self._image_queue, self.handle_image_message, min(POLL_WAIT_S, self._settings.queue_wait_s)),
        ):
            messages = queue.receive(wait_s=wait, visibility_s=visibility)
            for message in messages:
                self._process(queue, message, handle)
            if messages or self._shutdown.is_set():
                return bool(messages)
        return False

    def handle_image_message(self, message: QueueMessage) -> None:
        """Process an ImageRequest message; a bad request, or one naming locations or models the
        worker may not use, fails its job with the problems named."""
        try:
            request, warnings = parse_image_request(message.body)
        except InvalidRequestError as error:
            self._fail_request(message.body, error)
            return
        try:
            self._intake.check(request)
        except InvalidRequestError as error:
            reason = "invalid request: " + "; ".join(error.problems)
            self._fail_images(request.job_id, request.job_name, request.image_urls, reason)
            return
        for warning in warnings:
            logger.warning("job %s: %s", request.job_id, warning)
        endpoint_type = request.image_processor.type.value
        request_type = select_request_type(
            explicit=self._request_type, configured=self._settings.request_type, endpoint_type=endpoint_type
        )
        try:
            pair = self._selector.pair_for(request_type, endpoint_type)
        except InvalidRequestError as error:
            # The request asks for an endpoint type the selected pair does not serve.
            self._fail_images(request.job_id, request.job_name, request.image_urls, str(error))
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

    def _process(
        self, queue: MessageQueue, message: QueueMessage, handle: Callable[[QueueMessage], None]
    ) -> None:
        try:
            with heartbeat(
                queue,
                message,
                self._settings.visibility_timeout_s,
                self._settings.heartbeat_s,
                on_beat=self._liveness.touch,
            ):
                try:
                    handle(message)
                finally:
                    self._flush_events(message)
        except ModelRunnerError as error:
            self._settle(queue, message, error)
        except Exception:
            logger.exception("unexpected failure on message %s; it will be retried", message.message_id)
            queue.release(message, self._settings.throttling_retry_timeout_s)
        else:
            queue.delete(message)
        finally:
            release_free_memory()

    def _flush_events(self, message: QueueMessage) -> None:
        if not self._events.flush(EVENT_FLUSH_S):
            logger.warning("the events of message %s are still being delivered", message.message_id)

    def _settle(self, queue: MessageQueue, message: QueueMessage, error: ModelRunnerError) -> None:
        if error.action is QueueAction.DEAD_LETTER:
            logger.error("message %s cannot be processed: %s", message.message_id, error)
            if not queue.dead_letter(message):
                logger.error("no dead-letter queue configured; the redrive policy will move it")
        elif error.action is QueueAction.FAIL_JOB:
            logger.error("message %s failed its job: %s", message.message_id, error)
            queue.delete(message)
        else:
            delay = (
                0 if isinstance(error, WorkInterruptedError) else self._settings.throttling_retry_timeout_s
            )
            logger.warning("message %s will be retried in %s s: %s", message.message_id, delay, error)
            queue.release(message, delay)

    def _fail_request(self, body: str, error: InvalidRequestError) -> None:
        """Record every image of a rejected request FAILED, naming the request's problems."""
        reason = "invalid request: " + "; ".join(error.problems)
        self._fail_images(error.job_id or "", None, _raw_image_urls(body), reason)

    def _fail_images(self, job_id: str, job_name: str | None, image_urls: Sequence[str], reason: str) -> None:
        for image_url in image_urls:
            self._completion.fail(
                job_id=job_id,
                job_name=job_name,
                image_id=image_id_for(job_id, image_url),
                image_url=image_url,
                reason=reason,
            )


def _raw_image_urls(body: str) -> list[str]:
    """The image URLs a rejected request names, as far as they can be read (at least one)."""
    try:
        urls = json.loads(body).get("imageUrls")
    except (ValueError, AttributeError):
        urls = None
    if isinstance(urls, list) and urls and all(isinstance(url, str) for url in urls):
        return list(dict.fromkeys(urls))
    return ["(no readable imageUrls)"]
