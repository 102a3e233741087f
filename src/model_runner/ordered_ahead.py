"""Network calls a few at a time ahead of their use, their results taken in order.

Reading an image's workspace objects or sending a multipart upload's parts one call after another
pays every call's first-byte latency in turn (an image of 100 regions on S3: a few hundred of
them). :func:`ordered_ahead` keeps up to ``ahead`` calls under way on threads while the caller
takes their results in the order of their keys; a key is taken from its iterable only when a call
may start, and at most ``ahead`` results wait, so memory stays bounded. :func:`call_ahead` starts
one call that the caller needs later, so its latency overlaps the caller's own calls.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Generator, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

Key = TypeVar("Key")
Result = TypeVar("Result")


def ordered_ahead(
    keys: Iterable[Key], call: Callable[[Key], Result], ahead: int
) -> Generator[Result, None, None]:
    """``call(key)`` of each key, in the keys' order, up to ``ahead`` calls under way at once.

    A call's exception is raised where its result would have been; the calls still under way are
    waited for (each is bounded by its own timeout) and none is started after it.
    """
    if ahead < 1:
        raise ValueError(f"ahead: at least one call under way, got {ahead}")
    with ThreadPoolExecutor(ahead, thread_name_prefix="ahead") as calls:
        under_way: deque[Future[Result]] = deque()
        try:
            for key in keys:
                if len(under_way) == ahead:
                    yield under_way.popleft().result()
                under_way.append(calls.submit(call, key))
            while under_way:
                yield under_way.popleft().result()
        finally:
            for waiting in under_way:
                waiting.cancel()


def call_ahead(call: Callable[[], Result], name: str) -> Future[Result]:
    """``call()`` under way on a thread of its own (named ``name``); its result, or its exception,
    from the future. The call must be bounded by its own timeout: nothing cancels it."""
    future: Future[Result] = Future()
    future.set_running_or_notify_cancel()

    def run() -> None:
        try:
            future.set_result(call())
        except BaseException as error:  # handed to whoever takes the result
            future.set_exception(error)

    threading.Thread(target=run, name=name, daemon=True).start()
    return future
