"""GeoJSON serialisation of features: one feature to bytes, or a FeatureCollection in chunks."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

from model_runner.sinks.base import Feature, SinkError

_COLLECTION_HEAD = b'{"type":"FeatureCollection","features":['
_COLLECTION_TAIL = b"]}"


def feature_id(feature: Feature) -> str:
    """The feature's id as text, for messages and partition keys ('' when it has none)."""
    value = feature.get("id")
    return "" if value is None else str(value)


def encode_feature(feature: Feature) -> bytes:
    """Compact UTF-8 JSON of one feature.

    Raises:
        SinkError: the feature holds a value JSON cannot carry (NaN, infinity, an object).
    """
    try:
        return json.dumps(feature, separators=(",", ":"), allow_nan=False, ensure_ascii=False).encode()
    except (TypeError, ValueError) as error:
        raise SinkError(f"feature {feature_id(feature)!r} cannot be written as JSON: {error}") from None


def feature_collection_chunks(features: Iterable[Feature], chunk_size: int) -> Iterator[bytes]:
    """A FeatureCollection as consecutive byte chunks of at least ``chunk_size`` bytes (the last
    may be shorter), so that a huge collection never exists as one string."""
    buffer = bytearray(_COLLECTION_HEAD)
    for index, feature in enumerate(features):
        if index:
            buffer += b","
        buffer += encode_feature(feature)
        if len(buffer) >= chunk_size:
            yield bytes(buffer)
            buffer.clear()
    buffer += _COLLECTION_TAIL
    yield bytes(buffer)
