"""One model detection in pixel coordinates, as the model-response parser hands it over."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from model_runner.features.errors import InvalidFeatureError
from model_runner.features.pixel_geometry import Box, Geometry, geometry_bounds


@dataclass(frozen=True)
class FeatureClass:
    """A class a feature may belong to, with the model's confidence.

    ``original_score`` is set only when distillation (Soft-NMS) changed ``score``: it keeps the
    score the model reported, and is written as ``originalScore`` beside ``iri`` and ``score``.
    """

    iri: str
    score: float
    original_score: float | None = None

    def __post_init__(self) -> None:
        if not math.isfinite(self.score):
            raise InvalidFeatureError(f"class {self.iri!r} has a score that is not a number: {self.score}")

    def to_json(self) -> dict[str, Any]:
        """The ``featureClasses`` entry of this class."""
        entry: dict[str, Any] = {"iri": self.iri, "score": self.score}
        if self.original_score is not None:
            entry["originalScore"] = self.original_score
        return entry


@dataclass(frozen=True)
class PixelFeature:
    """A detection as the model returned it, in the pixels of its tile.

    ``geometry`` is a GeoJSON geometry in tile pixels, ``bbox`` its box in tile pixels (see
    :meth:`of` to derive it from the geometry), ``classes`` the model's classes and scores and
    ``properties`` every other property of the model's feature, kept as it is.
    """

    geometry: Geometry
    bbox: Box
    classes: tuple[FeatureClass, ...] = ()
    properties: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        geometry_bounds(self.geometry)
        if len(self.bbox) != 4 or not all(math.isfinite(value) for value in self.bbox):
            raise InvalidFeatureError(f"a bounding box needs four finite numbers, got {self.bbox!r}")
        min_x, min_y, max_x, max_y = self.bbox
        if min_x > max_x or min_y > max_y:
            raise InvalidFeatureError(f"bounding box {self.bbox!r} is not min x, min y, max x, max y")

    @classmethod
    def of(
        cls,
        geometry: Geometry,
        classes: Sequence[FeatureClass] = (),
        properties: Mapping[str, Any] | None = None,
        bbox: Box | None = None,
    ) -> PixelFeature:
        """A feature whose box, when not given, is the bounds of its geometry."""
        return cls(
            geometry=geometry,
            bbox=geometry_bounds(geometry) if bbox is None else bbox,
            classes=tuple(classes),
            properties={} if properties is None else properties,
        )

    @property
    def top_class(self) -> int | None:
        """Position in ``classes`` of the highest score (the first one on a tie); None without classes."""
        if not self.classes:
            return None
        return max(range(len(self.classes)), key=lambda position: self.classes[position].score)
