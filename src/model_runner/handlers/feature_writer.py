"""Detections turned into an image's output features: geolocated in one batch, written as JSON.

A tile's answer is read into rows on the thread that called the model; the rows of several tiles
are then made columns and their features written at once (:class:`TileWrites`), while the other
calls are in flight, so a region's end only picks the features its distillation keeps (the few
whose score Soft-NMS decayed are written again). Making columns and writing cost about half a
millisecond whatever their size: batching tiles keeps a region of one-box tiles from paying it
per tile.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt

from model_runner.api import RegionRequest
from model_runner.api.tile_detections import read_tile_detections
from model_runner.features.detection_columns import DetectionColumns, DetectionRows
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

WRITE_BATCH_DETECTIONS = 2_000
"""Detections gathered before they are written: a batch holds a few tiles of a dense scene."""
WRITE_BATCH_TILES = 64
"""Tiles gathered at most before they are written: a batch of sparse tiles stays small too."""


def tile_detections(answer: bytes, tile: Tile) -> DetectionRows:
    """A model's answer for ``tile``, read into rows (made columns a batch of tiles at a time).

    Raises:
        ModelResponseError: the answer is not a FeatureCollection of the model contract.
    """
    return read_tile_detections(answer, (float(tile.window.x), float(tile.window.y)))


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

    def written(self, columns: DetectionColumns) -> WrittenDetections:
        """``columns`` with their output features."""
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


class TileWrites:
    """Tiles' detections gathered and written a batch at a time (see the module docstring).

    Each batch goes to ``written`` as one :class:`WrittenDetections` (its tiles in the order they
    were added); a batch that cannot be written fails each of its tiles through ``failed``.
    """

    def __init__(
        self,
        writer: FeatureWriter,
        written: Callable[[WrittenDetections, int], None],
        failed: Callable[[Tile, BaseException], None],
    ) -> None:
        self._writer = writer
        self._written = written
        self._failed = failed
        self._tiles: list[Tile] = []
        self._parts: list[DetectionRows] = []
        self._detections = 0

    def add(self, tile: Tile, rows: DetectionRows) -> None:
        """Gather ``tile``'s detections; write the batch once it is big enough."""
        self._tiles.append(tile)
        self._parts.append(rows)
        self._detections += len(rows)
        if self._detections >= WRITE_BATCH_DETECTIONS or len(self._tiles) >= WRITE_BATCH_TILES:
            self.flush()

    def flush(self) -> None:
        """Write what is gathered."""
        if not self._tiles:
            return
        tiles, parts = self._tiles, self._parts
        self._tiles, self._parts, self._detections = [], [], 0
        try:
            batch = self._writer.written(DetectionRows.columns_of(parts))
        except Exception as error:  # as a failed model call: the batch's tiles fail, the region goes on
            for tile in tiles:
                self._failed(tile, error)
            return
        self._written(batch, len(tiles))
