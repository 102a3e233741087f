"""The scheduler on the local stack: jobs sharing three endpoints of different capacity, several
workers, every call within capacity (the emulator refuses calls past it), every job SUCCESS."""

from __future__ import annotations

from pathlib import Path

import pytest
from stack_catalog import SHARED_SCENARIO

from model_runner.local import LocalStack
from model_runner.local.shared_endpoints import run_scenario

pytestmark = pytest.mark.e2e


def test_jobs_sharing_endpoints_run_within_each_endpoints_capacity(stack: LocalStack, tmp_path: Path) -> None:
    figures = run_scenario(stack, SHARED_SCENARIO, scheduling=True, folder=tmp_path, tag="e2e-shared")

    assert figures["statuses"] == {"SUCCESS": figures["jobs"]}
    for name, endpoint in figures["endpoints"].items():
        assert endpoint["throttled_calls"] == 0, name
        assert endpoint["peak_attempted"] <= endpoint["capacity"], name
    small = figures["endpoints"]["ep-small"]
    assert small["peak_in_flight"] == small["capacity"]  # its capacity was used
    assert figures["small_wait_p95_s"] is not None
