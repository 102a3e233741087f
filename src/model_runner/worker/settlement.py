"""Settling a message (delete, release, dead-letter) without ever letting a queue fault out.

A settling call that fails is retried with backoff a few times, then given up: the message comes
back after its visibility timeout, and processing it again changes nothing that was done (ids and
writes are idempotent). A message whose receipt is gone (deleted elsewhere, the queue purged) is
simply dropped from the worker's hands. A message whose processing raised is settled by what the
error asks for (see :mod:`model_runner.worker.loop`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from model_runner.aws.sqs import MessageGoneError, QueueMessage
from model_runner.backoff import Backoff
from model_runner.errors import DeferredError, ModelRunnerError, QueueAction
from model_runner.handlers.tile_work import failure_reason
from model_runner.worker.work_queue import WorkQueue

logger = logging.getLogger(__name__)

MAX_RETRY_DELAY_S = 900
"""Longest wait before a message that failed is offered again (SQS allows 12 hours)."""

FailMessage = Callable[[QueueMessage, str], bool]
"""Records the images of a message FAILED with a reason; False when it names no job."""


class Settlement:
    """Settles messages with bounded retries; never raises a queue fault. A message that failed
    is retried after ``retry_base_s`` doubling with each receive, up to its ``max_receives``-th."""

    def __init__(self, backoff: Backoff, *, max_receives: int, retry_base_s: int) -> None:
        self._backoff = backoff
        self._max_receives = max_receives
        self._retry_base_s = retry_base_s

    def delete(self, queue: WorkQueue, message: QueueMessage) -> bool:
        """Delete a processed message; whether it is gone from the queue now."""
        return self._attempt(f"delete message {message.message_id}", lambda: queue.delete(message))

    def release(self, queue: WorkQueue, message: QueueMessage, delay_s: int) -> bool:
        """Make a message visible again after ``delay_s`` seconds; whether that was done."""
        return self._attempt(
            f"give back message {message.message_id}", lambda: queue.release(message, delay_s)
        )

    def dead_letter(self, queue: WorkQueue, message: QueueMessage) -> bool:
        """Move a message to the dead-letter queue (or leave it to the redrive policy)."""

        def move() -> None:
            if not queue.dead_letter(message):
                logger.error("no dead-letter queue configured; the redrive policy will move it")

        return self._attempt(f"dead-letter message {message.message_id}", move)

    def after_failure(
        self, queue: WorkQueue, message: QueueMessage, error: Exception, fail: FailMessage
    ) -> None:
        """Settle a message whose processing raised ``error`` (``fail`` records its images FAILED)."""
        action = error.action if isinstance(error, ModelRunnerError) else QueueAction.RETRY
        if isinstance(error, DeferredError):
            logger.info("message %s given back for %s s: %s", message.message_id, error.delay_s, error)
            self.release(queue, message, error.delay_s)
        elif action is QueueAction.DEAD_LETTER:
            logger.error("message %s cannot be processed: %s", message.message_id, error)
            self.dead_letter(queue, message)
        elif action is QueueAction.FAIL_JOB:
            self._give_up(queue, message, str(error), fail)
        elif message.receive_count >= self._max_receives:
            last = failure_reason(error)
            if not isinstance(error, ModelRunnerError):
                last = f"internal error: {last}"
            reason = f"failed on each of {message.receive_count} attempts; the last: {last}"
            self._give_up(queue, message, reason, fail)
        else:
            delay = min(
                MAX_RETRY_DELAY_S,
                self._retry_base_s * 2 ** (message.receive_count - 1),
            )
            logger.warning("message %s will be retried in %s s: %s", message.message_id, delay, error)
            self.release(queue, message, delay)

    def _give_up(self, queue: WorkQueue, message: QueueMessage, reason: str, fail: FailMessage) -> None:
        """Record the message's images FAILED with ``reason`` and delete it (dead-letter it when it
        names no job); if the failure cannot be recorded now, leave the message to come back."""
        try:
            recorded = fail(message, reason)
        except ModelRunnerError as error:
            logger.error(
                "cannot record the failure of message %s now (%s); it will come back",
                message.message_id,
                error,
            )
            return
        if recorded:
            logger.error("message %s failed its job: %s", message.message_id, reason)
            self.delete(queue, message)
        else:
            logger.error("message %s failed and names no job: %s", message.message_id, reason)
            self.dead_letter(queue, message)

    def _attempt(self, what: str, call: Callable[[], None]) -> bool:
        for attempt in range(1, self._backoff.max_attempts + 1):
            if attempt > 1:
                self._backoff.wait(attempt - 1)
            try:
                call()
            except MessageGoneError as error:
                logger.warning("%s: the message is no longer on its queue; dropped (%s)", what, error)
                return True
            except ModelRunnerError as error:
                logger.warning(
                    "%s: attempt %d of %d failed: %s", what, attempt, self._backoff.max_attempts, error
                )
            else:
                return True
        logger.error("%s: gave up; the message comes back after its visibility timeout", what)
        return False
