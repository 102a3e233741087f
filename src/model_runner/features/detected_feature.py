"""One detection ready for the output: full-image pixels, classes rescored by distillation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from model_runner.features.pixel_feature import FeatureClass
from model_runner.features.pixel_geometry import Box


@dataclass(frozen=True)
class DetectedFeature:
    """One detection in full-image pixels, with its classes rescored by distillation."""

    geometry: dict[str, Any]
    bbox: Box
    classes: tuple[FeatureClass, ...]
    properties: Mapping[str, Any]
