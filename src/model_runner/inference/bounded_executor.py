"""Run a costly call over a lazy stream of items, N at a time, with bounded memory.

Threading model (one run of :func:`run_bounded`):

* one **producer** thread takes the next key from ``keys`` and runs ``prepare`` on it (for
  tiles: read and encode). It is the only thread that touches ``keys`` and ``prepare``, so they
  may use objects that are not thread-safe, such as an open GDAL dataset. Before each key it
  takes one of ``ahead`` slots (``2 * concurrency`` unless given); a slot is given back when the
  caller receives that key's outcome. So at most ``ahead`` prepared items exist at once, however
  many keys there are;
* a pool of ``concurrency`` **call** threads runs ``call`` on prepared items: at most N calls
  are in flight, while the producer prepares the next items;
* the **caller's** thread iterates the returned generator and receives one :class:`Outcome`
  per key as soon as it is complete, in completion order.

A ``prepare`` or ``call`` failure becomes that key's outcome. A failure of ``keys`` itself
(for example a read error while listing tiles) ends production; the outcomes already under way
are delivered, then the error is raised to the caller. Setting ``stop`` ends production too:
calls in flight finish and are delivered, prepared items not yet started are dropped (the caller
knows it asked to stop). When the generator ends or is closed (wrap it in
``contextlib.closing`` if the caller may stop iterating early), its ``finally`` stops the
producer, cancels queued calls, waits for the calls in flight, and joins every thread it started.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Generator, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Generic, TypeVar

K = TypeVar("K")
P = TypeVar("P")
R = TypeVar("R")


@dataclass(frozen=True)
class Outcome(Generic[K, R]):
    """What became of one key: its call's result, or the error of its prepare or call."""

    key: K
    result: R | None = None
    error: BaseException | None = None

    @property
    def succeeded(self) -> bool:
        """True when the key was prepared and called without error."""
        return self.error is None


@dataclass(frozen=True)
class _ProductionEnded:
    produced: int
    error: Exception | None


class _Dropped:
    """A prepared item that was not called because the run was asked to stop."""


_DROPPED = _Dropped()


def run_bounded(
    keys: Iterable[K],
    prepare: Callable[[K], P],
    call: Callable[[P], R],
    *,
    concurrency: int,
    stop: threading.Event | None = None,
    ahead: int | None = None,
) -> Generator[Outcome[K, R], None, None]:
    """Yield the outcome of ``call(prepare(key))`` for each key, at most ``concurrency`` calls at once.

    Threads start on the first ``next()``. See the module docstring for the threading model.

    Raises:
        ValueError: ``concurrency`` is below 1.
        Exception: whatever iterating ``keys`` raised, after the outcomes under way.
    """
    if concurrency < 1:
        raise ValueError(f"concurrency must be at least 1, got {concurrency}")
    return _Run(keys, prepare, call, concurrency, stop or threading.Event(), ahead).outcomes()


class _Run(Generic[K, P, R]):
    """The state shared by the producer, the call threads and the caller of one run."""

    def __init__(
        self,
        keys: Iterable[K],
        prepare: Callable[[K], P],
        call: Callable[[P], R],
        concurrency: int,
        stop: threading.Event,
        ahead: int | None = None,
    ) -> None:
        self._keys, self._prepare, self._call = keys, prepare, call
        self._concurrency = concurrency
        self._stop = stop
        self._closing = threading.Event()
        self._capacity = max(1, ahead) if ahead is not None else 2 * concurrency
        self._slots = threading.Semaphore(self._capacity)
        self._delivered: queue.SimpleQueue[Outcome[K, R] | _Dropped | _ProductionEnded] = queue.SimpleQueue()

    def outcomes(self) -> Generator[Outcome[K, R], None, None]:
        pool = ThreadPoolExecutor(self._concurrency, thread_name_prefix="bounded-call")
        producer = threading.Thread(target=self._produce, args=(pool,), name="bounded-producer")
        producer.start()
        # produced=-1: the number of keys is not known until the producer ends.
        received, ended = 0, _ProductionEnded(produced=-1, error=None)
        try:
            while received != ended.produced:
                message = self._delivered.get()
                if isinstance(message, _ProductionEnded):
                    ended = message
                    continue
                received += 1
                self._slots.release()
                if isinstance(message, Outcome):
                    yield message
        finally:
            self._closing.set()
            self._slots.release(self._capacity)
            producer.join()
            pool.shutdown(wait=True, cancel_futures=True)
        if ended.error is not None:
            raise ended.error

    def _stopping(self) -> bool:
        return self._stop.is_set() or self._closing.is_set()

    def _produce(self, pool: ThreadPoolExecutor) -> None:
        produced, error = 0, None
        try:
            keys = iter(self._keys)
            while self._slots.acquire() and not self._stopping():
                try:
                    key = next(keys)
                except StopIteration:
                    break
                try:
                    item = self._prepare(key)
                except Exception as prepare_error:
                    self._delivered.put(Outcome(key, error=prepare_error))
                else:
                    call = pool.submit(self._call_unless_stopping, item)
                    call.add_done_callback(partial(self._deliver, key))
                produced += 1
        except Exception as keys_error:
            error = keys_error
        finally:
            self._delivered.put(_ProductionEnded(produced, error))

    def _call_unless_stopping(self, item: P) -> R | _Dropped:
        return _DROPPED if self._stopping() else self._call(item)

    def _deliver(self, key: K, future: Future[R | _Dropped]) -> None:
        if future.cancelled():
            return
        error = future.exception()
        if error is not None:
            self._delivered.put(Outcome(key, error=error))
            return
        result = future.result()
        self._delivered.put(result if isinstance(result, _Dropped) else Outcome(key, result=result))
