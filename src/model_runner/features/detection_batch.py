"""The detections of a region or image as numpy arrays, with each feature kept for the output."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from model_runner.features.array_types import FloatArray, IndexArray
from model_runner.features.detected_feature import DetectedFeature
from model_runner.features.pixel_feature import FeatureClass, PixelFeature
from model_runner.features.pixel_geometry import reference_digits, translate_geometry


@dataclass(frozen=True, eq=False)
class DetectionBatch:
    """N detections: their boxes in full-image pixels and the score and class of each one's top class.

    ``scores`` starts as each feature's top-class score and is what distillation decays;
    ``class_ids`` index ``class_names`` (-1: the feature has no class). ``features`` keep the
    model's geometry in tile pixels and ``origins`` (N, 2) the full-image pixel of each one's
    tile origin; geometry is moved to full-image pixels only by :meth:`records`, so features
    that distillation drops are never translated. The arrays are read-only.
    """

    features: tuple[PixelFeature, ...]
    origins: FloatArray
    boxes: FloatArray
    scores: FloatArray
    class_ids: IndexArray
    class_names: tuple[str, ...]

    def __post_init__(self) -> None:
        count = len(self.features)
        shapes = {
            "origins": (count, 2),
            "boxes": (count, 4),
            "scores": (count,),
            "class_ids": (count,),
        }
        for name, shape in shapes.items():
            array: npt.NDArray[Any] = getattr(self, name)
            if array.shape != shape:
                raise ValueError(f"{name} has shape {array.shape}, expected {shape} for {count} features")
            view = array.view()
            view.flags.writeable = False
            object.__setattr__(self, name, view)
        if count and not -1 <= int(self.class_ids.min()) <= int(self.class_ids.max()) < len(self.class_names):
            raise ValueError("class_ids must index class_names, or be -1")

    @classmethod
    def from_tile(cls, features: Sequence[PixelFeature], origin: tuple[float, float]) -> DetectionBatch:
        """The features a model found in one tile whose top-left pixel is ``origin`` (x, y) in the image."""
        if not all(math.isfinite(value) for value in origin):
            raise ValueError(f"tile origin must be finite, got {origin!r}")
        tops = [None if (top := feature.top_class) is None else feature.classes[top] for feature in features]
        names = tuple(dict.fromkeys(top.iri for top in tops if top is not None))
        position = {name: index for index, name in enumerate(names)}
        offset = np.array([origin[0], origin[1], origin[0], origin[1]], np.float64)
        return cls(
            features=tuple(features),
            origins=np.tile(np.array(origin, np.float64), (len(features), 1)),
            boxes=np.array([feature.bbox for feature in features], np.float64).reshape(-1, 4) + offset,
            scores=np.array([0.0 if top is None else top.score for top in tops], np.float64),
            class_ids=np.array([-1 if top is None else position[top.iri] for top in tops], np.intp),
            class_names=names,
        )

    @classmethod
    def concat(cls, batches: Iterable[DetectionBatch]) -> DetectionBatch:
        """One batch of the detections of ``batches``, in order; class tables are merged by name."""
        parts = list(batches)
        names = tuple(dict.fromkeys(name for part in parts for name in part.class_names))
        position = {name: index for index, name in enumerate(names)}
        class_ids = [
            # Index -1 (no class) reads the appended -1.
            np.array([position[name] for name in part.class_names] + [-1], np.intp)[part.class_ids]
            for part in parts
        ]
        return cls(
            features=tuple(feature for part in parts for feature in part.features),
            origins=np.concatenate([np.empty((0, 2))] + [part.origins for part in parts]),
            boxes=np.concatenate([np.empty((0, 4))] + [part.boxes for part in parts]),
            scores=np.concatenate([np.empty(0)] + [part.scores for part in parts]),
            class_ids=np.concatenate([np.empty(0, np.intp), *class_ids]),
            class_names=names,
        )

    def __len__(self) -> int:
        return len(self.features)

    def take(self, indices: Sequence[int] | IndexArray) -> DetectionBatch:
        """The detections at ``indices``, in that order."""
        chosen = np.asarray(indices, np.intp).reshape(-1)
        return dataclasses.replace(
            self,
            features=tuple(self.features[index] for index in chosen.tolist()),
            origins=self.origins[chosen],
            boxes=self.boxes[chosen],
            scores=self.scores[chosen],
            class_ids=self.class_ids[chosen],
        )

    def with_scores(self, scores: FloatArray) -> DetectionBatch:
        """The same detections with new top-class scores (as Soft-NMS decays them)."""
        return dataclasses.replace(self, scores=np.asarray(scores, np.float64))

    def records(self) -> Iterator[DetectedFeature]:
        """Each detection in full-image pixels; its top class carries the batch's score."""
        rows = zip(
            self.features, self.origins.tolist(), self.boxes.tolist(), self.scores.tolist(), strict=True
        )
        for feature, (dx, dy), box, score in rows:
            yield DetectedFeature(
                geometry=translate_geometry(feature.geometry, dx, dy),
                bbox=(
                    reference_digits(box[0]),
                    reference_digits(box[1]),
                    reference_digits(box[2]),
                    reference_digits(box[3]),
                ),
                classes=_rescored(feature, score),
                properties=feature.properties,
            )


def _rescored(feature: PixelFeature, score: float) -> tuple[FeatureClass, ...]:
    top = feature.top_class
    if top is None or feature.classes[top].score == score:
        return feature.classes
    original = feature.classes[top]
    classes = list(feature.classes)
    classes[top] = FeatureClass(original.iri, score, original_score=original.score)
    return tuple(classes)
