"""Calls kept under way ahead of their use: results in the keys' order, never more than asked at
once, keys taken only when a call may start, a failure raised where its result would be."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from in_flight import InFlight

from model_runner.ordered_ahead import ordered_ahead


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
