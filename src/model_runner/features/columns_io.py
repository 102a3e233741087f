"""Columns to bytes and back: how a region's detections and features wait in the workspace.

A packed object is a Zstandard frame (level 1) of: a 4-byte length, a JSON header (each array's
name, dtype, shape; any other values), then the arrays' bytes end to end. Only numbers, bytes and
JSON: nothing is unpickled. Zstandard at level 1 packs a dense region's features in a quarter of
zlib's time (level 1, used before), a little smaller; objects zlib packed (by a worker of an earlier
version, in a fleet being upgraded) are still read.
"""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
import zstandard

from model_runner.features.detection_columns import DetectionColumns
from model_runner.features.encoded_features import EncodedFeatures
from model_runner.features.text_column import TextColumn

_HEADER = struct.Struct("<I")
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_LEVEL = 1
_COLUMN_ARRAYS = ("boxes", "scores", "initial_scores", "class_ids", "tiles", "ranks", "skeleton_ids",
                  "position_starts", "positions", "top_classes", "property_ids")  # fmt: skip


class PackedDataError(ValueError):
    """Bytes that are not a packed object of this module (a corrupt or foreign workspace object)."""


def pack(arrays: Mapping[str, npt.NDArray[Any]], values: Mapping[str, Any] | None = None) -> bytes:
    """``arrays`` and JSON ``values`` as one compressed object."""
    header = {
        "arrays": [[name, array.dtype.str, list(array.shape)] for name, array in arrays.items()],
        "values": dict(values or {}),
    }
    head = json.dumps(header, separators=(",", ":")).encode()
    parts = [_HEADER.pack(len(head)), head] + [
        np.ascontiguousarray(array).tobytes() for array in arrays.values()
    ]
    return zstandard.ZstdCompressor(level=_LEVEL).compress(b"".join(parts))  # one per call: thread-safe


def unpack(body: bytes) -> tuple[dict[str, npt.NDArray[Any]], dict[str, Any]]:
    """The arrays and values of a packed object.

    Raises:
        PackedDataError: the bytes are not a packed object.
    """
    try:
        raw = _decompressed(body)
        (length,) = _HEADER.unpack_from(raw)
        header = json.loads(raw[_HEADER.size : _HEADER.size + length])
        offset = _HEADER.size + length
        arrays: dict[str, npt.NDArray[Any]] = {}
        for name, dtype, shape in header["arrays"]:
            kind = np.dtype(dtype)
            if kind.hasobject:
                raise PackedDataError(f"array {name!r} holds Python objects")
            size = kind.itemsize * int(np.prod(shape, dtype=np.int64))
            arrays[name] = np.frombuffer(raw, kind, int(np.prod(shape, dtype=np.int64)), offset).reshape(
                shape
            )
            offset += size
    except (zlib.error, zstandard.ZstdError, struct.error, ValueError, KeyError, TypeError) as error:
        raise PackedDataError(f"not a packed workspace object: {error}") from None
    return arrays, header["values"]


def _decompressed(body: bytes) -> bytes:
    if body.startswith(_ZSTD_MAGIC):
        return zstandard.ZstdDecompressor().decompress(body)
    return zlib.decompress(body)  # packed by a worker of an earlier version


def pack_columns(
    columns: DetectionColumns,
    extra: Mapping[str, npt.NDArray[Any]] | None = None,
    values: Mapping[str, Any] | None = None,
) -> bytes:
    """Detections as one packed object, with ``extra`` arrays and JSON ``values``."""
    arrays = {**(extra or {}), **{name: getattr(columns, name) for name in _COLUMN_ARRAYS}}
    arrays["class_texts"] = np.frombuffer(columns.classes.data, np.uint8)
    arrays["class_ends"] = columns.classes.ends
    tables = {
        "class_names": list(columns.class_names),
        "skeleton_keys": list(columns.skeleton_keys),
        "property_texts": list(columns.property_texts),
        "extras": {str(row): text for row, text in columns.extras.items()},
    }
    return pack(arrays, {"columns": tables, **(values or {})})


def unpack_columns(
    body: bytes,
) -> tuple[DetectionColumns, dict[str, npt.NDArray[Any]], dict[str, Any]]:
    """Detections packed by :func:`pack_columns`, and the extra arrays and values.

    Raises:
        PackedDataError: the bytes are not packed detections.
    """
    arrays, values = unpack(body)
    try:
        tables = values.pop("columns")
        columns = DetectionColumns(
            **{name: arrays.pop(name) for name in _COLUMN_ARRAYS},
            classes=TextColumn(arrays.pop("class_texts").tobytes(), arrays.pop("class_ends")),
            class_names=tuple(tables["class_names"]),
            skeleton_keys=tuple(tables["skeleton_keys"]),
            property_texts=tuple(tables["property_texts"]),
            extras={int(row): text for row, text in tables["extras"].items()},
        )
    except (KeyError, TypeError, ValueError) as error:
        raise PackedDataError(f"not packed detections: {error}") from None
    return columns, arrays, values


def pack_features(features: EncodedFeatures, values: Mapping[str, Any] | None = None) -> bytes:
    """Encoded features as one packed object (with extra JSON ``values``)."""
    arrays: dict[str, npt.NDArray[Any]] = {
        "data": np.frombuffer(features.data, np.uint8),
        "ends": features.ends,
        "ids": features.ids,
        "keys": features.keys,
        "bounds": features.bounds,
    }
    return pack(arrays, values)


def unpack_features(body: bytes) -> tuple[EncodedFeatures, dict[str, Any]]:
    """Features packed by :func:`pack_features`, and the extra values.

    Raises:
        PackedDataError: the bytes are not packed features.
    """
    arrays, values = unpack(body)
    try:
        features = EncodedFeatures(
            arrays["data"].tobytes(), arrays["ends"], arrays["ids"], arrays["keys"], arrays["bounds"]
        )
    except KeyError as error:
        raise PackedDataError(f"not packed features: {error}") from None
    return features, values
