"""Keeps a message in progress invisible to other workers for as long as its work moves forward."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from model_runner.aws.sqs import MessageGoneError, QueueMessage
from model_runner.errors import ModelRunnerError
from model_runner.periodic import every
from model_runner.worker.work_queue import WorkQueue

logger = logging.getLogger(__name__)


@contextmanager
def heartbeat(
    queue: WorkQueue,
    message: QueueMessage,
    visibility_s: int,
    every_s: float,
    *,
    stalled: Callable[[], bool] = lambda: False,
) -> Iterator[None]:
    """Extend ``message``'s visibility to ``visibility_s`` every ``every_s`` seconds while inside.

    Extensions stop while ``stalled()`` says the work made no progress for too long, so the message
    goes to another worker, and for good once the message is gone from the queue (deleted, purged).
    A failed extension is logged; the next one is tried on time.
    """
    gone = False

    def beat() -> None:
        nonlocal gone
        if gone or stalled():
            return
        try:
            queue.extend(message, visibility_s)
        except MessageGoneError as error:
            gone = True
            logger.warning("message %s is no longer on its queue: %s", message.message_id, error)
        except ModelRunnerError as error:
            logger.warning("could not extend message %s: %s", message.message_id, error)

    with every(every_s, beat, name=f"heartbeat-{message.message_id[:8]}"):
        yield
