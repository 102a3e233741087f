"""The one backoff of every retry loop: waits grow, stay within bounds, and spread."""

from __future__ import annotations

import random

import pytest

from model_runner.backoff import Backoff


def test_waits_double_per_retry_up_to_the_cap_with_jitter_in_the_upper_half() -> None:
    rng = random.Random(1)
    backoff = Backoff(5, base_s=1.0, cap_s=4.0, jitter=rng.random)

    delays = {retry: [backoff.delay_s(retry) for _ in range(200)] for retry in (1, 2, 3, 4)}

    assert all(0.5 <= delay <= 1.0 for delay in delays[1])
    assert all(1.0 <= delay <= 2.0 for delay in delays[2])
    assert all(2.0 <= delay <= 4.0 for delay in delays[3] + delays[4])
    assert len(set(delays[1])) > 100


def test_wait_sleeps_the_delay_and_attempts_count_the_first_call() -> None:
    slept: list[float] = []
    backoff = Backoff(3, base_s=0.2, sleep=slept.append, jitter=lambda: 1.0)

    backoff.wait(1)
    backoff.wait(2)

    assert slept == [0.2, 0.4]
    assert backoff.max_retries == 2
    with pytest.raises(ValueError, match="max_attempts"):
        Backoff(0)
