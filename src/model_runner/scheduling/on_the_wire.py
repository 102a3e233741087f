"""A model call holds its permits only while its request is on the wire.

An endpoint counts an invocation from the moment its request arrives until its answer is sent.
Holding a permit from the start of the call instead (building and signing a SageMaker request
takes one to five milliseconds on a busy worker) leaves a unit idle that the region leased: about
two points of an endpoint's utilisation with 100 ms calls. A detector that can tell when its
request goes out takes the permits then, and gives them back once the answer is in; the calls
under the permits still never outnumber them, since they are held over the whole exchange.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager


class PermitOnTheWire:
    """One model call's hold on its permits: the region's own (its calls in flight) and, for a
    scheduled region, its lease's (which it may share with the region it took the units over from),
    taken in that order.

    ``sending`` takes them (once per attempt, however often the SDK says it sends); leaving
    ``attempt`` gives them back, so a retry's backoff holds none. ``wire_s`` is the time from the
    first request's sending to the last attempt's end: the model's latency, without the wait for
    a permit.
    """

    def __init__(self, permits: Sequence[Callable[[], AbstractContextManager[None]]]) -> None:
        self._permits = permits
        self._held = ExitStack()
        self._sent = False
        self._first_sent: float | None = None
        self._last_end: float | None = None

    def sending(self) -> None:
        """The request is about to go out: wait for the permits and take them (once per attempt)."""
        if self._sent:
            return
        for permit in self._permits:
            self._held.enter_context(permit())
        self._sent = True
        if self._first_sent is None:
            self._first_sent = time.perf_counter()

    @contextmanager
    def attempt(self) -> Iterator[None]:
        """One exchange with the model: the permits taken in it go back when it ends."""
        try:
            yield
        finally:
            if self._sent:
                self._sent = False
                self._held.close()
                self._last_end = time.perf_counter()

    @property
    def wire_s(self) -> float:
        """Seconds from the first request's sending to the end of the last attempt (0 if none went out)."""
        if self._first_sent is None or self._last_end is None:
            return 0.0
        return self._last_end - self._first_sent
