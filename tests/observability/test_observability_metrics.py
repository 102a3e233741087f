"""Metrics as the reference emits them, so its dashboards and alarms (which SEARCH the namespace
for an Operation's metric under fixed dimension sets) find ours."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from model_runner.events import JobCompleted, JobFailed, RegionCompleted
from model_runner.observability import MetricsObserver
from model_runner.status import Status

# The searches of the reference's documented dashboards (METRICS_AND_DASHBOARDS.md):
# {namespace, dimensions...} Operation Metric.
REFERENCE_SEARCHES = [
    ({"InputFormat", "ModelName", "Operation"}, "ImageProcessing", "Invocations"),
    ({"InputFormat", "ModelName", "Operation"}, "ImageProcessing", "Duration"),
    ({"ModelName", "Operation"}, "TileProcessing", "Invocations"),
    ({"InputFormat", "Operation"}, "TileGeneration", "Invocations"),
    ({"ModelName", "Operation"}, "ModelInvocation", "Duration"),
    ({"ModelName", "Operation"}, "ModelInvocation", "Invocations"),
    ({"ModelName", "Operation"}, "ModelInvocation", "Errors"),
]


def records(*events: Any) -> list[dict[str, Any]]:
    stream = io.StringIO()
    observer = MetricsObserver("OSML/ModelRunner", stream)
    for event in events:
        observer.on_event(event)
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def found(lines: list[dict[str, Any]], dimensions: set[str], operation: str, metric: str) -> list[Any]:
    """The values a CloudWatch SEARCH of {namespace, dimensions} operation metric would see."""
    values = []
    for line in lines:
        for directive in line["_aws"]["CloudWatchMetrics"]:
            assert directive["Namespace"] == "OSML/ModelRunner"
            names = {entry["Name"] for entry in directive["Metrics"]}
            for dimension_set in directive["Dimensions"]:
                if (
                    set(dimension_set) == dimensions
                    and line.get("Operation") == operation
                    and metric in names
                ):
                    values.append(line[metric])
    return values


def test_every_search_of_the_reference_dashboards_finds_our_metrics() -> None:
    lines = records(
        RegionCompleted(
            "job", "img", "r1", Status.PARTIAL, 4, 1, 2.5, (), [120.0, 80.0, 200.0], (), "ep", "NITF"
        ),
        JobCompleted("job", "img", Status.PARTIAL, 30.0, 9, "done", model_name="ep", input_format="NITF"),
    )

    for dimensions, operation, metric in REFERENCE_SEARCHES:
        assert found(lines, dimensions, operation, metric), (operation, metric)
    assert found(lines, {"InputFormat", "ModelName", "Operation"}, "ImageProcessing", "Duration") == [30.0]
    assert found(lines, {"ModelName", "Operation"}, "ModelInvocation", "Duration") == [[0.12, 0.08, 0.2]]
    assert found(lines, {"ModelName", "Operation"}, "TileProcessing", "Errors") == [1]
    assert found(lines, {"InputFormat", "ModelName", "Operation"}, "ImageProcessing", "Errors") == [1]
    image = next(line for line in lines if line.get("Operation") == "ImageProcessing")
    assert (image["ModelName"], image["InputFormat"]) == ("ep", "NITF")
    units = {
        entry["Name"]: entry["Unit"]
        for line in lines
        for d in line["_aws"]["CloudWatchMetrics"]
        for entry in d["Metrics"]
    }
    assert units["Duration"] == "Seconds" and units["Invocations"] == "Count"


@pytest.mark.parametrize("event", [JobFailed("job", "img", "unreadable", 1.0, model_name="ep")])
def test_an_image_that_could_not_be_read_still_counts_as_an_error(event: JobFailed) -> None:
    lines = records(event)

    (image,) = [line for line in lines if line.get("Operation") == "ImageProcessing"]
    assert (image["Errors"], image["InputFormat"]) == (1, "UNKNOWN")


def test_our_own_metrics_stay_beside_the_reference_ones() -> None:
    lines = records(
        JobCompleted("job", "img", Status.SUCCESS, 3.0, 1, "ok", model_name="ep", input_format="GTIFF")
    )

    own = [line for line in lines if "Operation" not in line]
    assert own and own[0]["ImagesSucceeded"] == 1 and own[0]["ImageProcessingTime"] == 3.0
