"""Calling something every few seconds on a thread while a block of work runs (heartbeats, leases)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

logger = logging.getLogger(__name__)


JOIN_TIMEOUT_S = 10.0
"""How long the end of the block waits for a call under way (a call stuck on the network must not
hold up the worker; it ends on its own timeout, and no call starts after the block)."""


@contextmanager
def every(interval_s: float, action: Callable[[], None], name: str) -> Iterator[None]:
    """Call ``action`` every ``interval_s`` seconds on a daemon thread until the block ends.

    An exception from ``action`` is logged and the next call happens on time: a renewal that
    failed once must not stop the ones after it.
    """
    done = threading.Event()

    def repeat() -> None:
        while not done.wait(interval_s):
            try:
                action()
            except Exception:
                logger.exception("%s failed", name)

    thread = threading.Thread(target=repeat, name=name, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join(JOIN_TIMEOUT_S)
        if thread.is_alive():
            logger.warning("%s is still in a call; leaving it to end on its own", name)
