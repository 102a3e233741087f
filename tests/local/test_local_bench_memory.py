"""The bench's peak memory is each job's own: started afresh, the peak forgets what a job before
it held."""

from __future__ import annotations

import pytest

from model_runner.local.bench_memory import peak_mib, resident_mib, start_peak_afresh

pytestmark = pytest.mark.unit


def test_a_peak_started_afresh_forgets_memory_held_and_freed_before() -> None:
    held = bytearray(200 * 1024 * 1024)  # zero pages: written to, so that they are resident
    held[::4096] = b"\x01" * len(held[::4096])
    high = peak_mib()
    del held

    assert start_peak_afresh()
    assert high - peak_mib() > 150
    assert peak_mib() >= resident_mib() - 1
