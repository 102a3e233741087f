"""An image's output features at its completion, streamed region by region from the workspace.

The completion reads what every region left (:mod:`~model_runner.handlers.region_features`):
manifests, ids and the columns of the deferred detections, never the final features themselves
until a sink streams them (a region's deferred features too are read again only when its turn to
stream comes). It takes back any closed group of a region that a stray box of another region
reaches (:func:`~model_runner.features.region_split.meets_stray`), distils the deferred detections
of all regions together, and numbers repeated ids (``-2``, ``-3``... in output order, as
whole-image output did). Then each sink streams the features: regions in row-major order of their
windows, each region's final chunks with its deferred survivors merged in by order key (tiles row
by row, then the model's order; those whose score Soft-NMS decayed written again). At most one
chunk per region is held at once; every chunk read counts as progress.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import numpy.typing as npt

from model_runner.features import DistillationOptions
from model_runner.features.array_types import FloatArray, IndexArray
from model_runner.features.columns_io import unpack, unpack_columns, unpack_features
from model_runner.features.detection_columns import DetectionColumns
from model_runner.features.distillation import surviving
from model_runner.features.encoded_features import ID_CHARS, ID_OFFSET, EncodedFeatures
from model_runner.features.feature_json import class_counts
from model_runner.features.region_split import meets_stray, overlapping_any, within
from model_runner.features.written_detections import WrittenDetections
from model_runner.handlers.feature_writer import FeatureWriter
from model_runner.handlers.ports import DetectionWorkspace
from model_runner.handlers.region_features import MANIFEST, RegionManifest, final_features
from model_runner.ordered_ahead import ordered_ahead

BoolArray = npt.NDArray[np.bool_]

READS_AHEAD = 8
"""Regions' small objects (manifests, ids, deferred detections) read at once at the completion."""
CHUNKS_AHEAD = 2
"""Final chunks read ahead of the one being streamed (each about 5 MB at most)."""


@dataclass
class _Region:
    """One region's part of the stream."""

    region_id: str
    manifest: RegionManifest
    deferred: DetectionColumns
    """Its deferred detections, then any taken back."""
    located: BoolArray
    """Which of ``deferred`` have a feature."""
    ids: npt.NDArray[np.bytes_]
    """The ids of those features, in order."""
    taken: WrittenDetections | None = None
    """The detections taken back, with their features (written at the completion)."""
    excluded: FloatArray = field(default_factory=lambda: np.empty((0, 3)))
    """Order keys of final features taken back (their groups met a stray)."""
    kept: IndexArray = field(default_factory=lambda: np.empty(0, np.intp))
    """Rows of ``deferred`` that survive the distillation, ascending."""
    scores: FloatArray = field(default_factory=lambda: np.empty(0))
    """Their scores then."""

    @classmethod
    def of(cls, region_id: str, manifest: RegionManifest, body: bytes) -> _Region:
        """The region, from its manifest and its packed deferred detections (copied: their
        features' text is let go until the region streams)."""
        stored, _ = WrittenDetections.unpack(body)
        everything = np.arange(len(stored), dtype=np.intp)
        return cls(
            region_id,
            manifest,
            stored.columns.take(everything),
            stored.located.copy(),
            stored.features.ids.copy(),
        )

    def survivor_ids(self) -> npt.NDArray[np.bytes_]:
        """The ids of the surviving deferred detections' features."""
        featured = np.cumsum(self.located) - 1
        found: npt.NDArray[np.bytes_] = self.ids[featured[self.kept[self.located[self.kept]]]]
        return found

    def survivors(
        self, workspace: DetectionWorkspace, image_id: str, writer: FeatureWriter
    ) -> EncodedFeatures:
        """The surviving deferred detections' features, from the region's stored object again.

        Raises:
            KeyError: the object is gone.
        """
        if not len(self.kept):
            return EncodedFeatures.of([])
        body = workspace.get(image_id, self.region_id, self.manifest.deferred_name)
        if body is None:
            raise KeyError(f"region {self.region_id}: its deferred detections are missing")
        stored, _ = WrittenDetections.unpack(body)
        written = stored if self.taken is None else WrittenDetections.concat([stored, self.taken])
        return final_features(written, self.kept, self.scores, writer)


class ImageFeatures:
    """The features of one image, as the sinks stream them (see the module docstring)."""

    def __init__(
        self,
        workspace: DetectionWorkspace,
        image_id: str,
        regions: Sequence[_Region],
        writer: FeatureWriter,
        repeated: set[bytes],
        class_counts: Counter[str],
        progress: Callable[[], None],
    ) -> None:
        self._workspace = workspace
        self._image_id = image_id
        self._regions = regions
        self._writer = writer
        self._repeated = repeated
        self.class_counts = class_counts
        self._progress = progress
        self.count = sum(
            region.manifest.features - len(region.excluded) + len(region.survivor_ids()) for region in regions
        )

    def chunks(self) -> Iterator[EncodedFeatures]:
        """The features in output order, a chunk at a time; each call streams them anew."""
        every_chunk = [
            (region, index)
            for region in self._regions
            for index in range(len(region.manifest.chunk_last_keys))
        ]
        with closing(ordered_ahead(every_chunk, self._final_chunk, CHUNKS_AHEAD)) as final_chunks:
            yield from self._merged_chunks(final_chunks)

    def _merged_chunks(self, final_chunks: Iterator[EncodedFeatures]) -> Iterator[EncodedFeatures]:
        """The regions' final chunks (``final_chunks``, in order) with their survivors merged in."""
        seen: dict[bytes, int] = {}
        for region in self._regions:
            pending = region.survivors(self._workspace, self._image_id, self._writer)
            for last in region.manifest.chunk_last_keys:
                chunk = next(final_chunks)
                self._progress()
                if len(region.excluded):
                    chunk = chunk.take(np.flatnonzero(~_among(chunk.keys, region.excluded)).astype(np.intp))
                due = _not_after(pending.keys, last)
                if due.any():
                    chunk = _merged(chunk, pending.take(np.flatnonzero(due).astype(np.intp)))
                    pending = pending.take(np.flatnonzero(~due).astype(np.intp))
                yield self._numbered(chunk, seen)
            if len(pending):
                yield self._numbered(pending, seen)

    def _final_chunk(self, at: tuple[_Region, int]) -> EncodedFeatures:
        region, index = at
        body = self._workspace.get(self._image_id, region.region_id, region.manifest.chunk(index))
        if body is None:
            raise KeyError(f"region {region.region_id}: final chunk {index} is missing")
        return unpack_features(body)[0]

    def _numbered(self, chunk: EncodedFeatures, seen: dict[bytes, int]) -> EncodedFeatures:
        """``chunk`` with every repeated id after its first numbered ``-2``, ``-3``..."""
        if not self._repeated:
            return chunk
        hits = np.flatnonzero(np.isin(chunk.ids, np.array(sorted(self._repeated), dtype="S32")))
        if not len(hits):
            return chunk
        texts = list(chunk.texts())
        for row in hits.tolist():
            identity = bytes(chunk.ids[row])
            seen[identity] = seen.get(identity, 0) + 1
            if seen[identity] > 1:
                end = ID_OFFSET + ID_CHARS
                texts[row] = texts[row][:end] + f"-{seen[identity]}".encode() + texts[row][end:]
        return EncodedFeatures.of([text.decode() for text in texts], chunk.keys, chunk.bounds)


def image_features(
    workspace: DetectionWorkspace,
    image_id: str,
    region_ids: Sequence[str],
    options: DistillationOptions | None,
    writer: FeatureWriter,
    progress: Callable[[], None],
) -> ImageFeatures:
    """Gather what the regions of ``image_id`` left and resolve their deferred detections.

    Raises:
        KeyError: a region's manifest names an object the workspace no longer has.
        PackedDataError: a workspace object is not what its region stored.
    """
    regions = []
    for region in ordered_ahead(region_ids, partial(_region_left, workspace, image_id), READS_AHEAD):
        if region is not None:  # None: the region failed as a whole, it left nothing
            regions.append(region)
            progress()
    regions.sort(key=lambda region: (region.manifest.window[1], region.manifest.window[0]))
    counts: Counter[str] = Counter()
    for region in regions:
        counts.update(region.manifest.classes)
    _take_back_stray_groups(workspace, image_id, regions, writer, counts)
    _distil_deferred(regions, options, writer, counts)
    repeated = _repeated_ids(workspace, image_id, regions)
    return ImageFeatures(workspace, image_id, regions, writer, repeated, counts, progress)


def _region_left(workspace: DetectionWorkspace, image_id: str, region_id: str) -> _Region | None:
    """What a region left for the completion: its manifest and deferred detections."""
    body = workspace.get(image_id, region_id, MANIFEST)
    if body is None:
        return None
    manifest = RegionManifest.from_json(body)
    deferred = workspace.get(image_id, region_id, manifest.deferred_name)
    if deferred is None:
        raise KeyError(f"region {region_id}: its deferred detections are missing")
    return _Region.of(region_id, manifest, deferred)


def _take_back_stray_groups(
    workspace: DetectionWorkspace,
    image_id: str,
    regions: Sequence[_Region],
    writer: FeatureWriter,
    counts: Counter[str],
) -> None:
    """Add to the deferred detections every closed group of a region that a stray box of another
    region overlaps, and leave its final features out."""
    strays = []
    for index, region in enumerate(regions):
        columns = region.deferred
        outside = ~within(columns.boxes, region.manifest.rectangle) & (columns.class_ids >= 0)
        if outside.any():
            strays.append((index, columns.take(np.flatnonzero(outside).astype(np.intp))))
    for index, region in enumerate(regions):
        reaching = [
            found
            for source, found in strays
            if source != index
            and overlapping_any(found.boxes, np.array([region.manifest.rectangle], np.float64)).any()
        ]
        if not reaching:
            continue
        body = workspace.get(image_id, region.region_id, region.manifest.interior)
        if body is None:
            raise KeyError(f"region {region.region_id}: its interior detections are missing")
        interior, arrays, _ = unpack_columns(body)
        hit = np.zeros(len(interior), bool)
        for found in reaching:
            hit |= meets_stray(
                interior.boxes, interior.class_ids, found.boxes, _class_ids_in(found, interior)
            )
        if not hit.any():
            continue
        groups = arrays["groups"]
        taken = interior.take(np.flatnonzero(np.isin(groups, groups[hit])).astype(np.intp))
        features, located = writer.write(taken)
        region.taken = WrittenDetections(taken, features, located)
        region.deferred = DetectionColumns.concat([region.deferred, taken])
        region.located = np.concatenate((region.located, located))
        region.ids = np.concatenate((region.ids, features.ids))
        _exclude(workspace, image_id, region, taken, writer, counts)


def _class_ids_in(found: DetectionColumns, other: DetectionColumns) -> IndexArray:
    """The class ids of ``found``'s detections in ``other``'s class table (-2: a class it lacks)."""
    position = {name: index for index, name in enumerate(other.class_names)}
    table = np.array([position.get(name, -2) for name in found.class_names] + [-1], np.intp)
    mapped: IndexArray = table[found.class_ids]
    return mapped


def _exclude(
    workspace: DetectionWorkspace,
    image_id: str,
    region: _Region,
    taken: DetectionColumns,
    writer: FeatureWriter,
    counts: Counter[str],
) -> None:
    """Leave the final features of ``taken`` out of the region's part, and out of the counts."""
    keys = taken.order_keys()
    stored = []
    for index in range(len(region.manifest.chunk_last_keys)):
        body = workspace.get(image_id, region.region_id, region.manifest.chunk(index))
        if body is None:
            raise KeyError(f"region {region.region_id}: final chunk {index} is missing")
        chunk, _ = unpack_features(body)
        stored.append(chunk.keys[_among(chunk.keys, keys)])
    excluded = np.concatenate([np.empty((0, 3)), *stored])
    region.excluded = np.concatenate((region.excluded, excluded))
    counts.subtract(
        class_counts(taken.take(np.flatnonzero(_among(keys, excluded)).astype(np.intp)), writer.context)
    )


def _distil_deferred(
    regions: Sequence[_Region],
    options: DistillationOptions | None,
    writer: FeatureWriter,
    counts: Counter[str],
) -> None:
    """Distil the deferred detections of every region together; each region keeps its survivors."""
    columns = DetectionColumns.concat(region.deferred for region in regions)
    kept = np.arange(len(columns), dtype=np.intp)
    scores = columns.scores
    if options is not None and len(columns):
        kept, scores = surviving(columns.boxes, columns.scores, columns.class_ids, columns.tiles, options)
    new_scores = columns.scores.copy()
    new_scores[kept] = scores
    alive = np.zeros(len(columns), bool)
    alive[kept] = True
    start = 0
    for region in regions:
        end = start + len(region.deferred)
        region.kept = np.flatnonzero(alive[start:end]).astype(np.intp)
        region.scores = new_scores[start:end][region.kept]
        located = region.kept[region.located[region.kept]]
        counts.update(class_counts(region.deferred.take(located), writer.context))
        start = end


def _repeated_ids(workspace: DetectionWorkspace, image_id: str, regions: Sequence[_Region]) -> set[bytes]:
    """The ids that more than one output feature has (a detection found twice at one spot).

    Ids are compared by an 8-byte digest of their first 16 characters first (a quarter of their
    size, for a million features), and only those sharing one are compared whole.
    """
    digests = [_digests(ids) for ids in _region_ids(workspace, image_id, regions)]
    values, counts = np.unique(np.concatenate([np.empty(0, np.uint64), *digests]), return_counts=True)
    shared = values[counts > 1]
    if not len(shared):
        return set()
    candidates = [ids[np.isin(_digests(ids), shared)] for ids in _region_ids(workspace, image_id, regions)]
    distinct, repeats = np.unique(np.concatenate([np.empty(0, "S32"), *candidates]), return_counts=True)
    return {bytes(identity) for identity in distinct[repeats > 1].tolist()}


def _region_ids(
    workspace: DetectionWorkspace, image_id: str, regions: Sequence[_Region]
) -> Iterator[npt.NDArray[np.bytes_]]:
    """The ids of each region's output features: its final ones (less those taken back), then its
    surviving deferred ones; a few regions' read at a time."""
    final_ids = partial(_final_ids, workspace, image_id)
    for region, ids in zip(regions, ordered_ahead(regions, final_ids, READS_AHEAD), strict=True):
        yield ids
        yield region.survivor_ids()


def _final_ids(workspace: DetectionWorkspace, image_id: str, region: _Region) -> npt.NDArray[np.bytes_]:
    """The ids of the region's final features, less those taken back."""
    body = workspace.get(image_id, region.region_id, region.manifest.ids)
    if body is None:
        raise KeyError(f"region {region.region_id}: its feature ids are missing")
    ids = unpack(body)[0]["ids"]
    return _without_excluded(workspace, image_id, region, ids) if len(region.excluded) else ids


def _digests(ids: npt.NDArray[np.bytes_]) -> npt.NDArray[np.uint64]:
    """An 8-byte digest of each id's first 16 characters."""
    head = np.zeros((len(ids), 16), np.uint8)
    raw = np.frombuffer(np.ascontiguousarray(ids, "S32").tobytes(), np.uint8).reshape(-1, 32)
    head[:] = raw[:, :16]
    halves = head.view(np.uint64)
    mixed: npt.NDArray[np.uint64] = halves[:, 0] ^ (halves[:, 1] * np.uint64(0x9E3779B97F4A7C15))
    return mixed


def _without_excluded(
    workspace: DetectionWorkspace, image_id: str, region: _Region, ids: npt.NDArray[np.bytes_]
) -> npt.NDArray[np.bytes_]:
    keep = []
    for index in range(len(region.manifest.chunk_last_keys)):
        body = workspace.get(image_id, region.region_id, region.manifest.chunk(index))
        if body is None:
            raise KeyError(f"region {region.region_id}: final chunk {index} is missing")
        keep.append(~_among(unpack_features(body)[0].keys, region.excluded))
    kept: npt.NDArray[np.bytes_] = ids[np.concatenate([np.empty(0, bool), *keep])]
    return kept


def _among(keys: FloatArray, chosen: FloatArray) -> BoolArray:
    """Whether each order key (row of 3) is one of ``chosen``."""
    if not len(chosen) or not len(keys):
        return np.zeros(len(keys), bool)
    as_rows = np.dtype((np.void, 3 * 8))
    found: BoolArray = np.isin(
        np.ascontiguousarray(keys, np.float64).view(as_rows).reshape(-1),
        np.ascontiguousarray(chosen, np.float64).view(as_rows).reshape(-1),
    )
    return found


def _not_after(keys: FloatArray, last: tuple[float, float, float]) -> BoolArray:
    """Whether each order key comes no later than ``last`` (keys compare row, column, rank)."""
    row, column, rank = last
    before: BoolArray = (keys[:, 0] < row) | (
        (keys[:, 0] == row) & ((keys[:, 1] < column) | ((keys[:, 1] == column) & (keys[:, 2] <= rank)))
    )
    return before


def _merged(first: EncodedFeatures, second: EncodedFeatures) -> EncodedFeatures:
    both = EncodedFeatures.concat([first, second])
    return both.take(np.lexsort((both.keys[:, 2], both.keys[:, 1], both.keys[:, 0])).astype(np.intp))
