"""When each image was accepted, read from its job row once per worker and ahead of its use.

A region's features carry the time its image was accepted (the row's start time, written once when
the image is taken in, never changed). Reading it when the first features are written adds a round
trip to every region's start; known from the intake on the worker that took the image in, read
while the region's own row and image are being opened on the others, and kept for the image's next
regions, it costs none.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future

from model_runner.ordered_ahead import call_ahead

IMAGES_KEPT = 64
"""Images whose start time a worker keeps (a few in progress at once, a float each)."""


class JobStarts:
    """Start times of images by id, each read once (``read``: the job row's ``started_at``)."""

    def __init__(self, read: Callable[[str], float], kept: int = IMAGES_KEPT) -> None:
        self._read = read
        self._kept = kept
        self._reads: OrderedDict[str, Future[float]] = OrderedDict()
        self._lock = threading.Lock()

    def know(self, image_id: str, started_at: float) -> None:
        """The start time of ``image_id``, known already (this worker accepted the image)."""
        future: Future[float] = Future()
        future.set_result(started_at)
        with self._lock:
            self._reads[image_id] = future
            self._keep_within()

    def ahead(self, image_id: str) -> None:
        """Start reading the start time of ``image_id`` unless it is known or being read."""
        self._future(image_id)

    def started_at(self, image_id: str) -> float:
        """The start time of ``image_id`` (waiting for its read); a read that failed is raised, and
        tried again by the next caller."""
        future = self._future(image_id)
        try:
            return future.result()
        except BaseException:
            with self._lock:
                if self._reads.get(image_id) is future:
                    del self._reads[image_id]
            raise

    def _future(self, image_id: str) -> Future[float]:
        with self._lock:
            future = self._reads.get(image_id)
            if future is not None:
                self._reads.move_to_end(image_id)
                return future
            future = call_ahead(lambda: self._read(image_id), f"job-start-{image_id[:24]}")
            self._reads[image_id] = future
            self._keep_within()
            return future

    def _keep_within(self) -> None:
        while len(self._reads) > self._kept:
            self._reads.popitem(last=False)
