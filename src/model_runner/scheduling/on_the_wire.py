"""A model call holds its permits only from when its request goes out until the call ends.

An endpoint counts an invocation from the moment its request arrives until its answer is sent.
Holding a permit from the start of the call instead (building and signing a SageMaker request
takes one to five milliseconds on a busy worker) leaves a unit idle that the region leased: about
two points of an endpoint's utilisation with 100 ms calls. A detector that can tell when its
request goes out takes the permits then; they go back when the call ends (answered, or failed
after its retries: a throttled call keeps its permit through its backoff, so a region slows down
with its endpoint instead of sending more). The calls under the permits still never outnumber
them, since they are held over the whole exchange.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, ExitStack
from types import TracebackType


class PermitOnTheWire:
    """One model call's hold on its permits: the region's own (its calls in flight) and, for a
    scheduled region, its lease's (which it may share with the region it took the units over from),
    taken in that order by :meth:`sending` and given back when the ``with`` block of the call ends.
    ``wire_s`` is the time from the request's sending to the call's end: the model's latency,
    without the wait for a permit.
    """

    def __init__(self, permits: Sequence[Callable[[], AbstractContextManager[None]]]) -> None:
        self._permits = permits
        self._held = ExitStack()
        self._sent_at: float | None = None
        self._ended_at: float | None = None

    def sending(self) -> None:
        """The request is about to go out: wait for the permits and take them (the first time;
        a retry's request already holds them)."""
        if self._sent_at is not None:
            return
        for permit in self._permits:
            self._held.enter_context(permit())
        self._sent_at = time.perf_counter()

    def __enter__(self) -> PermitOnTheWire:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._held.close()
        self._ended_at = time.perf_counter()

    @property
    def wire_s(self) -> float:
        """Seconds from the request's sending to the call's end (0 if none went out)."""
        if self._sent_at is None or self._ended_at is None:
            return 0.0
        return self._ended_at - self._sent_at
