"""Calls kept under way ahead of their use: results in the keys' order, never more than asked at
once, keys taken only when a call may start, a failure raised where its result would be; one call
ahead runs while its caller goes on."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from in_flight import InFlight

from model_runner.ordered_ahead import call_ahead, ordered_ahead


class Calls:
    """A call whose duration depends on its key, counting the calls under way."""

    def __init__(self) -> None:
        self.in_flight = InFlight()

    def __call__(self, key: int) -> int:
        with self.in_flight:
            time.sleep(0.03 if key % 3 == 0 else 0.005)  # some finish after later ones
        if key == 7:
            raise OSError("object 7 is gone")
        return key * 10


def test_results_come_in_the_keys_order_with_at_most_ahead_calls_under_way() -> None:
    calls = Calls()

    results = list(ordered_ahead(range(7), calls, 3))

    assert results == [0, 10, 20, 30, 40, 50, 60]
    assert calls.in_flight.most == 3


def test_a_key_is_taken_only_when_its_call_may_start() -> None:
    taken: list[int] = []

    def keys() -> Iterator[int]:
        for key in range(10):
            taken.append(key)
            yield key

    results = ordered_ahead(keys(), lambda key: key, 2)
    first = next(results)
    results.close()

    assert first == 0 and len(taken) <= 3


def test_a_failed_call_is_raised_where_its_result_would_be() -> None:
    got: list[int] = []

    with pytest.raises(OSError, match="object 7 is gone"):
        for result in ordered_ahead(range(10), Calls(), 4):
            got.append(result)

    assert got == [0, 10, 20, 30, 40, 50, 60]


def test_at_least_one_call_is_under_way() -> None:
    with pytest.raises(ValueError, match="ahead"):
        list(ordered_ahead([1], lambda key: key, 0))


def test_a_call_ahead_runs_while_the_caller_goes_on_and_hands_over_its_result_or_its_failure() -> None:
    begun, go_on = threading.Event(), threading.Event()

    def call() -> str:
        begun.set()
        assert go_on.wait(5)
        return threading.current_thread().name

    future = call_ahead(call, "ahead-test")
    assert begun.wait(5)  # under way before the caller asks for it
    go_on.set()
    assert future.result(5) == "ahead-test"

    def gone() -> None:
        raise OSError("object 7 is gone")

    with pytest.raises(OSError, match="object 7 is gone"):
        call_ahead(gone, "ahead-failing").result(5)
