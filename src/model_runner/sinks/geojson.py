"""GeoJSON serialisation of features: a FeatureCollection in parts, never whole."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from model_runner.features.encoded_features import EncodedFeatures

COLLECTION_HEAD = b'{"type":"FeatureCollection","features":['
COLLECTION_TAIL = b"]}"


def feature_collection_parts(chunks: Iterable[EncodedFeatures], part_size: int) -> Iterator[bytes]:
    """A FeatureCollection of the features of ``chunks`` as consecutive parts of at least
    ``part_size`` bytes (the last may be shorter), so that a huge collection never exists whole."""
    buffer = bytearray(COLLECTION_HEAD)
    first = True
    for chunk in chunks:
        if not len(chunk):
            continue
        if not first:
            buffer += b","
        first = False
        buffer += chunk.data
        if len(buffer) >= part_size:
            yield bytes(buffer)
            buffer.clear()
    buffer += COLLECTION_TAIL
    yield bytes(buffer)
