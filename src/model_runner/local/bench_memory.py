"""Resident memory of the bench's process while the image's regions run, apart from its completion.

The process's peak (VmHWM, started afresh before each measured job) covers the whole job; the
completion of an image holds all its detections and features at once, so it grows with the
image's tiles while the regions' memory is bounded by the region size. Sampling the resident size
and keeping its peak at each region's outcome tells the two apart.
"""

from __future__ import annotations

import threading
from types import TracebackType

from model_runner.events import LifecycleEvent, RegionCompleted

SAMPLE_EVERY_S = 0.05


def resident_mib() -> float:
    """The process's resident memory now (Linux), in MiB."""
    return _status_mib("VmRSS")


def start_peak_afresh() -> bool:
    """Start the process's peak resident memory (VmHWM) again from what it holds now (Linux 4.0
    and later), so that a job's peak is its own, not that of a job before it; False where the
    system does not let it (the peak then covers the process's life)."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as references:
            references.write("5")
    except OSError:
        return False
    return True


def peak_mib() -> float:
    """The process's peak resident memory (Linux) since it started or since
    :func:`start_peak_afresh`, in MiB."""
    return _status_mib("VmHWM")


def _status_mib(field: str) -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    return 0.0


class RegionMemory:
    """Observes a job: the peak resident memory sampled up to its last region's outcome."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._peak = resident_mib()
        self._at_last_region: float | None = None
        self._stop = threading.Event()
        self._sampler = threading.Thread(target=self._sample, name="bench-memory", daemon=True)
        self._sampler.start()

    def on_event(self, event: LifecycleEvent) -> None:
        if isinstance(event, RegionCompleted):
            with self._lock:
                self._peak = max(self._peak, resident_mib())
                self._at_last_region = self._peak

    def start_afresh(self) -> None:
        """Forget the peak so far: the next job's regions are measured from now."""
        with self._lock:
            self._peak = resident_mib()
            self._at_last_region = None

    @property
    def regions_peak_mib(self) -> float | None:
        """Peak resident MiB until the last region's outcome (before the image's completion)."""
        with self._lock:
            return None if self._at_last_region is None else round(self._at_last_region, 1)

    def close(self) -> None:
        self._stop.set()
        self._sampler.join()

    def __enter__(self) -> RegionMemory:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _sample(self) -> None:
        while not self._stop.wait(SAMPLE_EVERY_S):
            with self._lock:  # sampled under the lock: a sample never outlives start_afresh
                self._peak = max(self._peak, resident_mib())
