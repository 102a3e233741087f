"""Detections turned into an image's output features: geolocated in one batch, written as JSON.

A tile's answer is read into columns and its features written as soon as it comes back, on the
thread that called the model (overlapping the other calls in flight), so a region's end only picks
the features its distillation keeps; the few whose score Soft-NMS decayed are written again.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt

from model_runner.api import RegionRequest
from model_runner.api.tile_detections import parse_tile_detections
from model_runner.features.detection_columns import DetectionColumns
from model_runner.features.encoded_features import EncodedFeatures
from model_runner.features.feature_json import full_image_positions, render_features
from model_runner.features.geometry_skeleton import block_layout
from model_runner.features.output import OutputContext
from model_runner.features.written_detections import WrittenDetections
from model_runner.handlers.ports import Image
from model_runner.imagery import SensorModel
from model_runner.imagery.geolocation import locate_positions
from model_runner.tiling import Tile

BoolArray = npt.NDArray[np.bool_]


class FeatureWriter:
    """Writes detections of one image as its output features (see the module docstring)."""

    def __init__(self, model: SensorModel | None, context: OutputContext, *, counterclockwise: bool) -> None:
        self.model = model
        self.context = context
        self._counterclockwise = counterclockwise

    @classmethod
    def of(
        cls, image: Image, request: RegionRequest, started_at: float, *, counterclockwise: bool
    ) -> FeatureWriter:
        """The writer of ``image``'s features for ``request``, whose image was accepted at ``started_at``."""
        source = image.source_metadata()
        context = OutputContext(
            job_id=request.job_id,
            image_id=request.image_id,
            inference_time=datetime.fromtimestamp(started_at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            feature_properties=request.feature_properties,
            source_metadata=[source] if source else None,
        )
        return cls(image.sensor_model(), context, counterclockwise=counterclockwise)

    def tile(self, answer: bytes, tile: Tile) -> WrittenDetections:
        """A model's answer for ``tile``, read and written.

        Raises:
            ModelResponseError: the answer is not a FeatureCollection of the model contract.
        """
        columns = parse_tile_detections(answer, (float(tile.window.x), float(tile.window.y)))
        features, located = self.write(columns)
        return WrittenDetections(columns, features, located)

    def write(self, columns: DetectionColumns) -> tuple[EncodedFeatures, BoolArray]:
        """The output features of ``columns`` (those the sensor model locates) and which they are."""
        pixels = full_image_positions(columns)
        if self.model is None or not len(columns):  # in pixels only (or nothing to locate)
            return render_features(columns, pixels, None, self.context), np.ones(len(columns), bool)
        block_starts, kinds, geometry_blocks = block_layout(columns.skeleton_keys, columns.skeleton_ids)
        geolocated = locate_positions(
            self.model, pixels, block_starts, kinds, geometry_blocks, counterclockwise=self._counterclockwise
        )
        return render_features(columns, pixels, geolocated, self.context), geolocated.located
