"""Keeps a message in progress invisible to other workers for as long as it is being processed."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from model_runner.aws.sqs import MessageQueue, QueueMessage
from model_runner.errors import ModelRunnerError

logger = logging.getLogger(__name__)


@contextmanager
def heartbeat(
    queue: MessageQueue,
    message: QueueMessage,
    visibility_s: int,
    every_s: float,
    on_beat: Callable[[], None] = lambda: None,
) -> Iterator[None]:
    """Extend ``message``'s visibility to ``visibility_s`` every ``every_s`` seconds while inside,
    calling ``on_beat`` after each extension."""
    done = threading.Event()

    def beat() -> None:
        while not done.wait(every_s):
            try:
                queue.extend(message, visibility_s)
                on_beat()
            except ModelRunnerError as error:
                logger.warning("could not extend message %s: %s", message.message_id, error)

    thread = threading.Thread(target=beat, name=f"heartbeat-{message.message_id[:8]}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
