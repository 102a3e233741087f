"""The shared-endpoints bench's figures: each endpoint's utilisation is time-weighted over the time
its own work waited, from its first job's submission until its last region started."""

from __future__ import annotations

from typing import Any

import pytest

from model_runner.api import image_id_for
from model_runner.local.shared_endpoints import SharedScenario, Timeline, scenario_figures

pytestmark = pytest.mark.unit

IMAGES = {"large": "s3://images/large.tif", "small": "s3://images/small.tif"}
JOBS = [("small-0", "ep-small", "small"), ("large-0", "ep-large", "large")]


def stats(small_s: float, large_s: float) -> dict[str, Any]:
    """The emulator's counters: each endpoint's seconds of calls in flight, added up."""
    return {"ep-small": {"call_seconds": small_s}, "ep-large": {"call_seconds": large_s}}


def test_utilisation_counts_from_the_endpoints_own_first_submission_to_its_last_region_start() -> None:
    scenario = SharedScenario(capacities={"ep-small": 1, "ep-large": 4})
    timeline = Timeline()
    timeline.region_starts = {
        image_id_for("small-0", IMAGES["small"]): [0.2],
        image_id_for("large-0", IMAGES["large"]): [1.5, 2.0, 3.0],
    }
    # ep-large's job is sent 1 s after the first job: its calls before then (none) do not count
    samples = [(0.0, stats(0.0, 0.0)), (0.2, stats(0.1, 0.0)), (1.0, stats(0.9, 0.0))]
    samples += [(2.0, stats(1.9, 3.6)), (3.0, stats(2.9, 7.2)), (4.0, stats(3.9, 8.0))]

    figures = scenario_figures(
        scenario, JOBS, IMAGES, {"small-0": 0.0, "large-0": 1.0}, timeline, samples, seconds=4.0
    )

    assert figures["endpoints"]["ep-large"]["utilisation_while_waiting"] == 0.9  # 7.2 s of calls / (4 x 2 s)
    assert figures["endpoints"]["ep-small"]["utilisation_while_waiting"] == 0.5  # 0.1 s / 0.2 s


def test_an_endpoint_without_two_samples_while_its_work_waited_has_no_utilisation() -> None:
    timeline = Timeline()
    timeline.region_starts = {image_id_for("large-0", IMAGES["large"]): [1.1]}
    samples = [(1.0, stats(0.0, 0.0)), (2.0, stats(0.0, 4.0))]

    figures = scenario_figures(
        SharedScenario(capacities={"ep-small": 1, "ep-large": 4}),
        JOBS,
        IMAGES,
        {"small-0": 0.0, "large-0": 1.0},
        timeline,
        samples,
        seconds=2.0,
    )

    assert figures["endpoints"]["ep-large"]["utilisation_while_waiting"] is None
