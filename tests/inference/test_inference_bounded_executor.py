"""The bounded concurrent executor: bounds, overlap, failures, stopping and thread hygiene."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field

import pytest

from model_runner.inference import Outcome, run_bounded

pytestmark = pytest.mark.timeout(20)


@dataclass
class Probe:
    """Counts what the executor does: items prepared, calls started and the most at once."""

    call_s: float = 0.0
    prepared: int = 0
    started: list[int] = field(default_factory=list)
    running: int = 0
    most_running: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def prepare(self, key: int) -> str:
        with self.lock:
            self.prepared += 1
        return f"tile-{key}"

    def call(self, item: str) -> int:
        with self.lock:
            self.started.append(int(item.removeprefix("tile-")))
            self.running += 1
            self.most_running = max(self.most_running, self.running)
        try:
            time.sleep(self.call_s)
            if item == "tile-13":
                raise RuntimeError("model said no")
            return len(item)
        finally:
            with self.lock:
                self.running -= 1


def executor_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("bounded-")]


def test_every_item_has_its_outcome_and_threads_are_joined() -> None:
    before = threading.active_count()
    probe = Probe(call_s=0.001)
    outcomes = {o.key: o for o in run_bounded(range(40), probe.prepare, probe.call, concurrency=4)}
    assert sorted(outcomes) == list(range(40))
    assert outcomes[7] == Outcome(7, result=len("tile-7"))
    assert not outcomes[13].succeeded and str(outcomes[13].error) == "model said no"
    assert all(o.succeeded for key, o in outcomes.items() if key != 13)
    assert executor_threads() == []
    assert threading.active_count() <= before


def test_calls_in_flight_never_exceed_the_concurrency() -> None:
    probe = Probe(call_s=0.01)
    assert len(list(run_bounded(range(60), probe.prepare, probe.call, concurrency=3))) == 60
    assert probe.most_running == 3


def test_the_producer_stays_at_most_two_rounds_ahead_of_the_caller() -> None:
    probe = Probe()
    ahead = []
    for received, _ in enumerate(run_bounded(range(200), probe.prepare, probe.call, concurrency=4), 1):
        time.sleep(0.002)  # a slow caller: the producer would race ahead if it were not bounded
        ahead.append(probe.prepared - received)
    assert max(ahead) <= 8
    assert max(ahead) >= 5  # it does prepare ahead, beyond the calls in flight


def test_a_failed_prepare_is_that_items_outcome_and_the_rest_go_on() -> None:
    def prepare(key: int) -> int:
        if key == 2:
            raise OSError("tile 2 unreadable")
        return key

    outcomes = {o.key: o for o in run_bounded(range(5), prepare, lambda item: item * 10, concurrency=2)}
    assert isinstance(outcomes[2].error, OSError)
    assert {key: o.result for key, o in outcomes.items() if key != 2} == {0: 0, 1: 10, 3: 30, 4: 40}


def test_a_failing_item_stream_is_raised_after_the_outcomes_under_way() -> None:
    def keys() -> Iterator[int]:
        yield from range(6)
        raise OSError("image vanished")

    received = []
    with pytest.raises(OSError, match="image vanished"):
        for outcome in run_bounded(keys(), lambda key: key, lambda item: item, concurrency=3):
            received.append(outcome.key)
    assert sorted(received) == list(range(6))
    assert executor_threads() == []


def test_stop_takes_no_new_item_and_finishes_the_calls_in_flight() -> None:
    stop = threading.Event()
    taken = []

    def keys() -> Iterator[int]:
        for key in range(1000):
            taken.append(key)
            yield key

    probe = Probe(call_s=0.02)
    received = []
    for outcome in run_bounded(keys(), probe.prepare, probe.call, concurrency=4, stop=stop):
        received.append(outcome.key)
        if len(received) == 5:
            stop.set()
    assert len(taken) <= 5 + 8
    assert sorted(received) == sorted(probe.started)  # every call that started was delivered
    assert probe.running == 0
    assert executor_threads() == []


def test_a_caller_that_stops_early_leaves_no_thread_and_no_call_behind() -> None:
    before = threading.active_count()
    probe = Probe(call_s=0.02)
    with closing(run_bounded(range(1000), probe.prepare, probe.call, concurrency=4)) as outcomes:
        for index, _ in enumerate(outcomes):
            if index == 2:
                break
    assert probe.running == 0
    assert probe.prepared <= 3 + 8
    assert executor_threads() == []
    assert threading.active_count() <= before


def test_preparing_overlaps_with_the_calls() -> None:
    items, prepare_s, call_s, workers = 30, 0.02, 0.1, 5

    def prepare(key: int) -> int:
        time.sleep(prepare_s)
        return key

    def call(item: int) -> int:
        time.sleep(call_s)
        return item

    started = time.monotonic()
    assert len(list(run_bounded(range(items), prepare, call, concurrency=workers))) == items
    elapsed = time.monotonic() - started
    overlapped = max(items * prepare_s, items * call_s / workers)  # 0.6 s
    serial = items * (prepare_s + call_s / workers)  # 1.2 s
    assert overlapped <= elapsed < 0.85 * serial


def test_no_items_give_no_outcomes() -> None:
    assert list(run_bounded([], str, len, concurrency=2)) == []
    assert executor_threads() == []


def test_concurrency_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="concurrency must be at least 1"):
        run_bounded(range(3), str, len, concurrency=0)
