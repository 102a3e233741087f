"""The rules by which the reference's integration validator (test/integ/validator.py of
awslabs/osml-model-runner) compares a job's features with its expected results, restated here.

Features are paired after sorting both lists by the text of their ``imageGeometry``; the counts must
be equal; each pair must have the same type and ``geometry`` (positions rounded to 6 decimals, as
its GeoJSON library rounds them on load), the same ``detection.pixelCoordinates``,
``featureClasses`` and ``imageGeometry``, centres within 1e-8 degrees, and the same
``sourceMetadata`` but for ``location`` and ``sourceDT``; every expected feature has
``inferenceMetadata``. Kinesis records count when their partition key is the job id and their data
is a FeatureCollection.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

Feature = dict[str, Any]
IGNORED_SOURCE_KEYS = {"location", "sourceDT"}


def differences(expected: Sequence[Feature], actual: Sequence[Feature]) -> list[str]:
    """Why ``actual`` does not pass against ``expected`` (empty: it passes), one line per fault."""
    if len(expected) != len(actual):
        return [f"expected {len(expected)} features but found {len(actual)}"]
    faults = []
    pairs = zip(_sorted(expected), _sorted(actual), strict=True)
    for index, (want, got) in enumerate(pairs):
        faults += [f"feature {index}: {fault}" for fault in _feature_faults(want, got)]
    return faults


def passing(expected: Sequence[Feature], actual: Sequence[Feature]) -> int:
    """How many expected features have an equal partner (after the same pairing)."""
    if len(expected) != len(actual):
        return 0
    return sum(
        not _feature_faults(want, got) for want, got in zip(_sorted(expected), _sorted(actual), strict=True)
    )


def kinesis_features(records: Sequence[dict[str, Any]], job_id: str) -> list[Feature]:
    """The features the validator reads from Kinesis records of ``job_id``."""
    found = []
    for record in records:
        if record.get("PartitionKey") != job_id:
            continue
        data = json.loads(record["Data"])
        found += data.get("features", [])
    return found


def _sorted(features: Sequence[Feature]) -> list[Feature]:
    return sorted(features, key=lambda feature: str(feature.get("properties", {}).get("imageGeometry", {})))


def _feature_faults(want: Feature, got: Feature) -> list[str]:
    want_properties, got_properties = want.get("properties", {}), got.get("properties", {})
    checks = [
        ("type", want.get("type") == got.get("type")),
        ("geometry", _rounded(want.get("geometry")) == _rounded(got.get("geometry"))),
        ("pixel coordinates", _pixel_coordinates(want) == _pixel_coordinates(got)),
        ("inference metadata", want_properties.get("inferenceMetadata") is not None),
        (
            "source metadata",
            _source_equal(want_properties.get("sourceMetadata"), got_properties.get("sourceMetadata")),
        ),
        ("feature classes", want_properties.get("featureClasses") == got_properties.get("featureClasses")),
        ("image geometry", want_properties.get("imageGeometry") == got_properties.get("imageGeometry")),
        (
            "centre longitude",
            _close(want_properties.get("center_longitude"), got_properties.get("center_longitude")),
        ),
        (
            "centre latitude",
            _close(want_properties.get("center_latitude"), got_properties.get("center_latitude")),
        ),
    ]
    return [name for name, ok in checks if not ok]


def _rounded(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _rounded(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_rounded(item) for item in value]
    if isinstance(value, float):
        return round(value, 6)
    return value


def _pixel_coordinates(feature: Feature) -> Any:
    return feature.get("properties", {}).get("detection", {}).get("pixelCoordinates")


def _close(want: float | None, got: float | None) -> bool:
    if want is None or got is None:
        return want is None and got is None
    return math.isclose(want, got, abs_tol=1e-8)


def _source_equal(want: list[dict[str, Any]] | None, got: list[dict[str, Any]] | None) -> bool:
    want, got = want or [], got or []
    if len(want) != len(got):
        return False
    for expected, actual in zip(want, got, strict=True):
        differing = {key for key, _ in set(map(_item, expected.items())) ^ set(map(_item, actual.items()))}
        if not differing <= IGNORED_SOURCE_KEYS:
            return False
    return True


def _item(pair: tuple[str, Any]) -> tuple[str, str]:
    return pair[0], json.dumps(pair[1])
