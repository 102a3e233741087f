"""Features given as dicts, made a feature source: for tests of sinks (the project's and extensions')."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence

import numpy as np

from model_runner.features.encoded_features import EncodedFeatures
from model_runner.sinks import Feature, SinkError
from model_runner.sinks.base import FeatureSource


def _feature_id(feature: Feature) -> str:
    """The feature's id as text ('' when it has none)."""
    value = feature.get("id")
    return "" if value is None else str(value)


def _encode_feature(feature: Feature) -> bytes:
    """Compact UTF-8 JSON of one feature.

    Raises:
        SinkError: the feature holds a value JSON cannot carry (NaN, infinity, an object).
    """
    try:
        return json.dumps(feature, separators=(",", ":"), allow_nan=False, ensure_ascii=False).encode()
    except (TypeError, ValueError) as error:
        raise SinkError(f"feature {_feature_id(feature)!r} cannot be written as JSON: {error}") from None


class FeatureList:
    """Features given as dicts, as a feature source (one chunk): for small outputs and tests.

    Raises:
        SinkError: a feature holds a value JSON cannot carry.
    """

    def __init__(self, features: Sequence[Feature]) -> None:
        encoded = [_encode_feature(feature) for feature in features]
        lengths = np.array([len(item) for item in encoded], np.int64)
        self._chunk = EncodedFeatures(
            b",".join(encoded),
            np.cumsum(lengths + 1, dtype=np.int64) - 1,
            np.array([_feature_id(feature).encode()[:32] for feature in features], dtype="S32"),
            np.zeros((len(encoded), 3)),
            np.array([_bbox(feature) for feature in features], np.float64).reshape(-1, 4),
        )
        self.class_counts: Mapping[str, int] = Counter(
            str(item["iri"])
            for feature in features
            for item in (feature.get("properties") or {}).get("featureClasses") or []
            if isinstance(item, Mapping) and "iri" in item
        )

    @property
    def count(self) -> int:
        return len(self._chunk)

    def chunks(self) -> Iterator[EncodedFeatures]:
        yield self._chunk


def _bbox(feature: Feature) -> list[float]:
    box = feature.get("bbox")
    if not box:
        return [np.nan] * 4
    # A bbox is [west, south, east, north], or with heights [west, south, low, east, north, high].
    half = len(box) // 2
    return [box[0], box[1], box[half], box[half + 1]]


def features_of(source: FeatureSource) -> Iterator[bytes]:
    """Each feature's JSON, in order."""
    for chunk in source.chunks():
        yield from chunk.texts()
