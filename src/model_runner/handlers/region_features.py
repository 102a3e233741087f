"""What a region leaves in the workspace for its image's completion.

At a region's end its tiles' detections (already written as features, see
:mod:`~model_runner.handlers.feature_writer`) are put in the output's order (tiles row by row,
then the model's order) and split (:mod:`~model_runner.features.region_split`): the groups no
other region can touch are distilled here, and their surviving features stored as final; the
others are deferred. Per region, in the workspace (one run's objects named by a random token, so
two workers running the same region at once never mix their objects):

* ``final-<token>-<k>``: the final features, in order, in chunks of at most
  :data:`CHUNK_FEATURES` (packed :class:`~model_runner.features.EncodedFeatures`);
* ``ids-<token>``: their ids, for the completion's search of repeated ids;
* ``deferred-<token>``: the deferred detections and their features;
* ``interior-<token>``: the region's other detections before distillation, with their groups,
  read only when a stray box of another region reaches into this one;
* ``manifest``: the region's window, its token, its chunks and counts (JSON), written last, so a
  region's objects are complete once its manifest names them.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field

import numpy as np
import numpy.typing as npt

from model_runner.features import DistillationOptions
from model_runner.features.array_types import FloatArray, IndexArray
from model_runner.features.columns_io import pack, pack_columns, pack_features
from model_runner.features.distillation import surviving
from model_runner.features.encoded_features import EncodedFeatures
from model_runner.features.feature_json import class_counts
from model_runner.features.region_split import deferred_detections
from model_runner.features.written_detections import WrittenDetections
from model_runner.handlers.feature_writer import FeatureWriter
from model_runner.handlers.ports import DetectionWorkspace
from model_runner.ordered_ahead import ordered_ahead
from model_runner.tiling import Region, TilingStrategy, Window

MANIFEST = "manifest"
CHUNK_FEATURES = 5_000
"""Detections kept per stored chunk of final features: what a region writes, and its completion
holds, at once (about 5 MB of JSON)."""
PUTS_AHEAD = 3
"""A region's workspace objects sent at once: a region's end pays one object's latency, not each
in turn, and holds at most this many chunks."""


@dataclass(frozen=True)
class RegionManifest:
    """What one region stored (see the module docstring)."""

    token: str
    window: tuple[int, int, int, int]
    """x, y, width, height of the region's window."""
    chunk_last_keys: list[tuple[float, float, float]] = field(default_factory=list)
    """The order key (tile row, tile column, rank) of each final chunk's last feature."""
    features: int = 0
    classes: dict[str, int] = field(default_factory=dict)
    deferred: int = 0

    def chunk(self, index: int) -> str:
        return f"final-{self.token}-{index}"

    @property
    def ids(self) -> str:
        return f"ids-{self.token}"

    @property
    def deferred_name(self) -> str:
        return f"deferred-{self.token}"

    @property
    def interior(self) -> str:
        return f"interior-{self.token}"

    @property
    def rectangle(self) -> tuple[float, float, float, float]:
        """Left, top, right, bottom of the window."""
        x, y, width, height = self.window
        return (x, y, x + width, y + height)

    def to_json(self) -> bytes:
        return json.dumps(asdict(self)).encode()

    @classmethod
    def from_json(cls, body: bytes) -> RegionManifest:
        values = json.loads(body)
        values["window"] = tuple(values["window"])
        values["chunk_last_keys"] = [tuple(key) for key in values["chunk_last_keys"]]
        return cls(**values)


def in_order(batches: list[WrittenDetections]) -> WrittenDetections:
    """The detections of a region's batches of tiles in the output's order: tiles row by row, each
    tile's detections in the model's order. Empties ``batches``: the ordered copy is all that is
    held of them afterwards."""
    gathered = WrittenDetections.concat(batches)
    batches.clear()
    origins = gathered.columns.tiles
    return gathered.take(np.lexsort((origins[:, 0], origins[:, 1])).astype(np.intp))  # stable


def store_region(
    workspace: DetectionWorkspace,
    image_id: str,
    region_id: str,
    window: tuple[int, int, int, int],
    detections: WrittenDetections,
    other_tiles: FloatArray,
    options: DistillationOptions | None,
    writer: FeatureWriter,
) -> RegionManifest:
    """Distil the region's closed groups, store what its completion needs, and the manifest last.

    ``detections`` are in order (:func:`in_order`); ``other_tiles`` (M, 4) left, top, right,
    bottom of the tiles of other regions near the region's window.
    """
    columns = detections.columns
    manifest = RegionManifest(uuid.uuid4().hex[:16], window)
    rectangle = manifest.rectangle
    if options is None:  # nothing links: every detection is final as the model gave it
        deferred = np.zeros(len(columns), bool)
        groups = np.arange(len(columns), dtype=np.intp)
    else:
        deferred, groups = deferred_detections(
            columns.boxes, columns.class_ids, columns.tiles, rectangle, other_tiles
        )
    interior = np.flatnonzero(~deferred).astype(np.intp)
    kept, scores = interior, columns.scores[interior]
    if options is not None and len(interior):
        chosen, scores = surviving(
            columns.boxes[interior],
            columns.scores[interior],
            columns.class_ids[interior],
            columns.tiles[interior],
            options,
        )
        kept = interior[chosen]
    chunks: list[tuple[float, float, float]] = []
    ids: list[npt.NDArray[np.bytes_]] = []

    def objects() -> Iterator[tuple[str, bytes]]:
        """The region's objects but its manifest, each made when it may be sent."""
        for start in range(0, len(kept), CHUNK_FEATURES):  # one chunk's features written at a time
            end = start + CHUNK_FEATURES
            chunk = final_features(detections, kept[start:end], scores[start:end], writer)
            if len(chunk):
                name = manifest.chunk(len(chunks))
                chunks.append(tuple(chunk.keys[-1].tolist()))
                ids.append(chunk.ids)
                yield name, pack_features(chunk)
        yield manifest.ids, pack({"ids": np.concatenate([np.empty(0, "S32"), *ids])})
        yield manifest.deferred_name, detections.take(np.flatnonzero(deferred).astype(np.intp)).pack()
        yield manifest.interior, pack_columns(columns.take(interior), {"groups": groups[interior]})

    for _ in ordered_ahead(objects(), lambda item: workspace.put(image_id, region_id, *item), PUTS_AHEAD):
        pass
    located = kept[detections.located[kept]]
    complete = RegionManifest(
        manifest.token,
        window,
        chunk_last_keys=chunks,
        features=sum(len(part) for part in ids),
        classes=dict(class_counts(columns.take(located), writer.context)),
        deferred=int(deferred.sum()),
    )
    workspace.put(image_id, region_id, MANIFEST, complete.to_json())
    return complete


def final_features(
    detections: WrittenDetections, kept: IndexArray, scores: FloatArray, writer: FeatureWriter
) -> EncodedFeatures:
    """The features of the detections at ``kept`` (ascending) whose scores distillation left at
    ``scores``, in output order (order keys): as written, except those Soft-NMS decayed, written
    again."""
    columns = detections.columns
    changed = (scores != columns.initial_scores[kept]) & (columns.top_classes[kept] >= 0)
    merged = detections.features_of(kept[~changed])
    if changed.any():
        rewritten, _ = writer.write(columns.take(kept[changed]).with_scores(scores[changed]))
        merged = EncodedFeatures.concat([merged, rewritten])
    keys = merged.keys  # detections taken back from a region follow its deferred ones: sort
    return merged.take(np.lexsort((keys[:, 2], keys[:, 1], keys[:, 0])).astype(np.intp))


def other_tiles(tiling: TilingStrategy, region: Region) -> FloatArray:
    """(M, 4) left, top, right, bottom of the tiles of other regions that overlap ``region``'s
    window: the tiles of the grid around it (within one tile of it) that are not its own."""
    window, area, reach = region.window, region.area, region.tile_size
    left, top = max(area.x, window.x - reach), max(area.y, window.y - reach)
    right, bottom = min(area.right, window.right + reach), min(area.bottom, window.bottom + reach)
    around = Region(
        region.image_id, Window(left, top, right - left, bottom - top), area, region.tile_size, region.overlap
    )
    own = {tile.window for tile in tiling.tiles(region)}
    found = [
        tile.window.bounds
        for tile in tiling.tiles(around)
        if tile.window not in own and tile.window.intersection(window) is not None
    ]
    return np.array(found, np.float64).reshape(-1, 4)
