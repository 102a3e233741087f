"""The bench's peak memory is each job's own: started afresh, the peak forgets what a job before
it held."""

from __future__ import annotations

import pytest

from model_runner.events import RegionCompleted
from model_runner.local.bench_memory import RegionMemory, peak_mib, resident_mib, start_peak_afresh
from model_runner.status import Status

pytestmark = pytest.mark.unit


def test_a_peak_started_afresh_forgets_memory_held_and_freed_before() -> None:
    held = bytearray(200 * 1024 * 1024)  # zero pages: written to, so that they are resident
    held[::4096] = b"\x01" * len(held[::4096])
    high = peak_mib()
    del held

    assert start_peak_afresh()
    assert high - peak_mib() > 150
    assert peak_mib() >= resident_mib() - 1


def test_regions_measured_afresh_forget_the_regions_of_the_job_before() -> None:
    with RegionMemory() as memory:
        held = bytearray(200 * 1024 * 1024)
        held[::4096] = b"\x01" * len(held[::4096])
        memory.on_event(RegionCompleted("job", "img", "r1", Status.SUCCESS, 1, 0, 1.0))
        before = memory.regions_peak_mib
        del held

        memory.start_afresh()
        assert memory.regions_peak_mib is None
        memory.on_event(RegionCompleted("job", "img", "r2", Status.SUCCESS, 1, 0, 1.0))

        assert before is not None and memory.regions_peak_mib is not None
        assert before - memory.regions_peak_mib > 150
