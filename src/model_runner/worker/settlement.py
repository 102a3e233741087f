"""Settling a message (delete, release, dead-letter) without ever letting a queue fault out.

A settling call that fails is retried with backoff a few times, then given up: the message comes
back after its visibility timeout, and processing it again changes nothing that was done (ids and
writes are idempotent). A message whose receipt is gone (deleted elsewhere, the queue purged) is
simply dropped from the worker's hands.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from model_runner.aws.sqs import MessageGoneError, QueueMessage
from model_runner.backoff import Backoff
from model_runner.errors import ModelRunnerError
from model_runner.worker.work_queue import WorkQueue

logger = logging.getLogger(__name__)


class Settlement:
    """Settles messages with bounded retries; never raises a queue fault."""

    def __init__(self, backoff: Backoff) -> None:
        self._backoff = backoff

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
