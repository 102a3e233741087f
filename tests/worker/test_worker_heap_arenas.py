"""Fresh threads per region must not each keep their own heap of freed tile buffers."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from model_runner.worker.memory import cap_heap_arenas

# Threads come and go as they do per region, each allocating and freeing bands of 15 MB. The six of
# a region hold their first band at the same time (as a region's reader, producer and callers do),
# however busy the machine is, so each takes a heap of its own unless the heaps are capped.
CHILD = """
import sys, threading
import numpy as np
from model_runner.worker.memory import cap_heap_arenas
if sys.argv[1] == "cap":
    assert cap_heap_arenas()
together = threading.Barrier(6)
def work():
    first = np.ones(15 * 2**20, dtype=np.uint8)
    together.wait()
    second = np.ones(15 * 2**20, dtype=np.uint8)
    del first
    third = np.ones(15 * 2**20, dtype=np.uint8)
    del second, third
for _ in range(12):
    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
print(next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmRSS")) // 1024)
"""


def resident_mib(mode: str) -> int:
    env = {name: value for name, value in os.environ.items() if name != "MALLOC_ARENA_MAX"}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, mode], env=env, capture_output=True, text=True, check=True, timeout=60
    )
    return int(done.stdout.strip())


def test_capped_heaps_keep_the_footprint_of_short_lived_threads_down() -> None:
    capped, uncapped = resident_mib("cap"), resident_mib("free")

    # measured: 86-101 MiB capped against 206-236 MiB uncapped, with or without two busy cores beside
    assert capped + 60 < uncapped


def test_the_operators_own_malloc_arena_max_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")

    assert cap_heap_arenas() is False
