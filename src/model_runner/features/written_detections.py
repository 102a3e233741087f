"""Detections with their output features already written: what a region keeps of each tile, and
what it defers to the image's completion."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from model_runner.features.array_types import IndexArray
from model_runner.features.columns_io import pack_columns, unpack_columns
from model_runner.features.detection_columns import DetectionColumns
from model_runner.features.encoded_features import EncodedFeatures

BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, eq=False)
class WrittenDetections:
    """Detections as columns and the output features of those located (``located``: per
    detection, whether it has one; features come in the detections' order)."""

    columns: DetectionColumns
    features: EncodedFeatures
    located: BoolArray

    def __post_init__(self) -> None:
        if len(self.located) != len(self.columns) or int(self.located.sum()) != len(self.features):
            raise ValueError("located must flag one detection per feature")

    def __len__(self) -> int:
        return len(self.columns)

    @classmethod
    def concat(cls, parts: Iterable[WrittenDetections]) -> WrittenDetections:
        chosen = list(parts)
        return cls(
            DetectionColumns.concat(part.columns for part in chosen),
            EncodedFeatures.concat(part.features for part in chosen),
            np.concatenate([np.empty(0, bool)] + [part.located for part in chosen]),
        )

    def take(self, rows: IndexArray) -> WrittenDetections:
        """The detections at ``rows``, in that order, with their features."""
        featured = np.cumsum(self.located) - 1  # each located detection's position among the features
        located = self.located[rows]
        return WrittenDetections(
            self.columns.take(rows), self.features.take(featured[rows[located]]), located
        )

    def features_of(self, rows: IndexArray) -> EncodedFeatures:
        """The features of the detections at ``rows`` (ascending) that have one."""
        featured = np.cumsum(self.located) - 1
        return self.features.take(featured[rows[self.located[rows]]])

    def pack(self, arrays: Mapping[str, npt.NDArray[Any]] | None = None) -> bytes:
        """As one packed workspace object, with further ``arrays`` (one row per detection)."""
        written: dict[str, npt.NDArray[Any]] = {
            "feature_data": np.frombuffer(self.features.data, np.uint8),
            "feature_ends": self.features.ends,
            "feature_ids": self.features.ids,
            "feature_keys": self.features.keys,
            "feature_bounds": self.features.bounds,
            "located": self.located,
        }
        return pack_columns(self.columns, {**written, **(arrays or {})})

    @classmethod
    def unpack(cls, body: bytes) -> tuple[WrittenDetections, dict[str, npt.NDArray[Any]]]:
        """Written detections packed by :meth:`pack`, and the further arrays.

        Raises:
            PackedDataError: the bytes are not packed written detections.
        """
        columns, arrays, _ = unpack_columns(body)
        features = EncodedFeatures(
            arrays.pop("feature_data").tobytes(),
            arrays.pop("feature_ends"),
            arrays.pop("feature_ids"),
            arrays.pop("feature_keys"),
            arrays.pop("feature_bounds"),
        )
        return cls(columns, features, arrays.pop("located")), arrays
