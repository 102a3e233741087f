"""Call permits: never more calls than units, the older region's calls first when regions share
them, and the units go back only once no call holds one."""

from __future__ import annotations

import threading
import time

import pytest
from in_flight import InFlight

from model_runner.scheduling import CallPermits


def test_calls_under_shared_permits_never_outnumber_the_units() -> None:
    permits = CallPermits(3)
    in_flight = InFlight()

    def call(order: int) -> None:
        with permits.call(order), in_flight:
            time.sleep(0.002)

    threads = [threading.Thread(target=call, args=(index % 2,)) for index in range(24)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)

    assert in_flight.most == 3 and in_flight.now == 0


def test_a_waiting_call_of_the_older_region_goes_before_the_newer_ones() -> None:
    permits = CallPermits(1)
    served: list[str] = []
    held = permits.call(1)
    held.__enter__()  # the older region's call in flight: nothing free

    def wait_for_a_permit(name: str, order: int) -> None:
        with permits.call(order):
            served.append(name)

    newer = threading.Thread(target=wait_for_a_permit, args=("newer", 2))
    newer.start()
    time.sleep(0.05)  # the newer region waits first
    older = threading.Thread(target=wait_for_a_permit, args=("older", 1))
    older.start()
    time.sleep(0.05)
    held.__exit__(None, None, None)
    for thread in (newer, older):
        thread.join(5)

    assert served == ["older", "newer"]


def test_waiting_for_idle_permits_ends_when_the_last_call_does() -> None:
    permits = CallPermits(2)
    assert permits.wait_idle(0)
    with permits.call():
        assert not permits.wait_idle(0.01)
        later = threading.Timer(0.05, lambda: None)
        later.start()
    assert permits.wait_idle(1)


def test_permits_need_a_unit() -> None:
    with pytest.raises(ValueError, match="at least 1 unit"):
        CallPermits(0)
