"""One model detection in pixel coordinates, as the model-response parser hands it over."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from model_runner.features.errors import InvalidFeatureError
from model_runner.features.pixel_geometry import Box, Geometry, checked_box, geometry_bounds, is_finite_number


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
        if not is_finite_number(self.score):
            raise InvalidFeatureError(
                f"class {self.iri!r} has a score that is not a finite number: {self.score!r}"
            )

    def to_json(self) -> dict[str, Any]:
        """The ``featureClasses`` entry of this class."""
        entry: dict[str, Any] = {"iri": self.iri, "score": self.score}
        if self.original_score is not None:
            entry["originalScore"] = self.original_score
        return entry


@dataclass(frozen=True, init=False)
class PixelFeature:
    """A detection as the model returned it, in the pixels of its tile.

    ``geometry`` is a GeoJSON geometry in tile pixels, ``bbox`` its box in tile pixels (the bounds
    of the geometry when not given), ``classes`` the model's classes and scores and
    ``properties`` every other property of the model's feature, kept as it is.

    Raises:
        InvalidFeatureError: the geometry or the box is malformed.
    """

    geometry: Geometry
    bbox: Box
    classes: tuple[FeatureClass, ...]
    properties: Mapping[str, Any]

    def __init__(
        self,
        geometry: Geometry,
        bbox: Sequence[float] | None = None,
        classes: Sequence[FeatureClass] = (),
        properties: Mapping[str, Any] | None = None,
    ) -> None:
        # One walk of the geometry both checks it and gives its bounds.
        bounds = geometry_bounds(geometry)
        object.__setattr__(self, "geometry", geometry)
        object.__setattr__(self, "bbox", bounds if bbox is None else checked_box(bbox))
        object.__setattr__(self, "classes", tuple(classes))
        object.__setattr__(self, "properties", {} if properties is None else properties)

    @classmethod
    def of(
        cls,
        geometry: Geometry,
        classes: Sequence[FeatureClass] = (),
        properties: Mapping[str, Any] | None = None,
        bbox: Sequence[float] | None = None,
    ) -> PixelFeature:
        """A feature whose box, when not given, is the bounds of its geometry."""
        return cls(geometry, bbox, classes, properties)

    @property
    def top_class(self) -> int | None:
        """Position in ``classes`` of the highest score (the first one on a tie); None without classes."""
        if not self.classes:
            return None
        return max(range(len(self.classes)), key=lambda position: self.classes[position].score)
