"""The detections of a tile, a region or an image as columns: numpy arrays and a few small tables.

A dense scene holds millions of detections; one Python object (and its geometry's nested lists)
per detection is most of what a worker's memory held. Here every detection is a row of arrays:

* ``boxes`` (N, 4) in full-image pixels, ``scores`` its top class's score (decayed by Soft-NMS;
  ``initial_scores`` the model's), ``class_ids`` its top class (-1: none) in ``class_names``;
* ``tiles`` (N, 2) the full-image pixel of its tile's origin and ``ranks`` its position in the
  tile's answer: together, the order rule of the output (tiles row by row, then the model's order);
* its pixel geometry as a skeleton (``skeleton_ids`` into ``skeleton_keys``, see
  :mod:`~model_runner.features.geometry_skeleton`) and its positions in tile pixels
  (``positions[position_starts[i]:position_starts[i + 1]]``); coordinates after x and y, rare,
  in ``extras`` (row -> JSON of each position's);
* ``classes`` the JSON of its ``featureClasses`` as the model gave them (``top_classes``: which is
  the top one), and ``property_ids`` its other properties (less those the output leaves out) as a
  JSON object in ``property_texts``: a model's constant properties are stored once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from model_runner.features.array_types import FloatArray, IndexArray
from model_runner.features.text_column import OffsetArray, TextColumn

_ROW_ARRAYS = ("boxes", "scores", "initial_scores", "class_ids", "tiles", "ranks", "skeleton_ids",
               "top_classes", "property_ids")  # fmt: skip


@dataclass(frozen=True, eq=False)
class DetectionColumns:
    """N detections as columns (see the module docstring)."""

    boxes: FloatArray
    scores: FloatArray
    initial_scores: FloatArray
    class_ids: IndexArray
    tiles: FloatArray
    ranks: IndexArray
    skeleton_ids: IndexArray
    position_starts: OffsetArray
    positions: FloatArray
    classes: TextColumn
    top_classes: IndexArray
    property_ids: IndexArray
    class_names: tuple[str, ...] = ()
    skeleton_keys: tuple[str, ...] = ()
    property_texts: tuple[str, ...] = ()
    extras: dict[int, str] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        count = len(self.scores)
        for name in _ROW_ARRAYS:
            if len(getattr(self, name)) != count:
                raise ValueError(f"{name} has {len(getattr(self, name))} rows, expected {count}")
        if len(self.classes) != count or len(self.position_starts) != count + 1:
            raise ValueError("classes and position_starts must have a row per detection")

    def __len__(self) -> int:
        return len(self.scores)

    @classmethod
    def empty(cls) -> DetectionColumns:
        return cls.concat([])

    @property
    def position_counts(self) -> OffsetArray:
        counts: OffsetArray = np.diff(self.position_starts)
        return counts

    def take(self, indices: Sequence[int] | IndexArray) -> DetectionColumns:
        """The detections at ``indices``, in that order."""
        chosen = np.asarray(indices, np.intp).reshape(-1)
        counts = self.position_counts[chosen]
        starts = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
        gather = np.arange(int(starts[-1]), dtype=np.int64) + np.repeat(
            self.position_starts[chosen] - starts[:-1], counts
        )
        moved = {int(row): int(old) for row, old in enumerate(chosen.tolist()) if old in self.extras}
        return dataclasses.replace(
            self,
            **{name: getattr(self, name)[chosen] for name in _ROW_ARRAYS},
            position_starts=starts,
            positions=self.positions[gather],
            classes=self.classes.take(chosen),
            extras={row: self.extras[old] for row, old in moved.items()},
        )

    def with_scores(self, scores: FloatArray) -> DetectionColumns:
        """The same detections with new top-class scores (as Soft-NMS decays them)."""
        return dataclasses.replace(self, scores=np.asarray(scores, np.float64))

    @classmethod
    def concat(cls, parts: Iterable[DetectionColumns]) -> DetectionColumns:
        """The detections of ``parts`` in order; their tables merged (each text once)."""
        parts = list(parts)
        arrays: dict[str, Any] = {}
        tables: dict[str, tuple[str, ...]] = {}
        for ids, table in (
            ("class_ids", "class_names"),
            ("skeleton_ids", "skeleton_keys"),
            ("property_ids", "property_texts"),
        ):
            merged = tuple(dict.fromkeys(text for part in parts for text in getattr(part, table)))
            position = {text: index for index, text in enumerate(merged)}
            # Index -1 (no class) reads the appended -1.
            arrays[ids] = np.concatenate(
                [np.empty(0, np.intp)]
                + [
                    np.array([position[text] for text in getattr(part, table)] + [-1], np.intp)[
                        getattr(part, ids)
                    ]
                    for part in parts
                ]
            )
            tables[table] = merged
        for name, shape in (("boxes", (0, 4)), ("tiles", (0, 2))):
            arrays[name] = np.concatenate([np.empty(shape)] + [getattr(part, name) for part in parts])
        for name in ("scores", "initial_scores"):
            arrays[name] = np.concatenate([np.empty(0)] + [getattr(part, name) for part in parts])
        for name in ("ranks", "top_classes"):
            arrays[name] = np.concatenate([np.empty(0, np.intp)] + [getattr(part, name) for part in parts])
        counts = np.concatenate([np.empty(0, np.int64)] + [part.position_counts for part in parts])
        rows = np.cumsum([0] + [len(part) for part in parts])
        return cls(
            **arrays,
            position_starts=np.concatenate(([0], np.cumsum(counts))).astype(np.int64),
            positions=np.concatenate([np.empty((0, 2))] + [part.positions for part in parts]),
            classes=TextColumn.concat(part.classes for part in parts),
            class_names=tables["class_names"],
            skeleton_keys=tables["skeleton_keys"],
            property_texts=tables["property_texts"],
            extras={
                int(shift) + row: text
                for part, shift in zip(parts, rows, strict=False)
                for row, text in part.extras.items()
            },
        )

    def order_keys(self) -> npt.NDArray[np.float64]:
        """(N, 3) the order rule's key of each detection: tile row, tile column, rank."""
        return np.column_stack((self.tiles[:, 1], self.tiles[:, 0], self.ranks.astype(np.float64)))


class DetectionRows:
    """The detections of one tile as Python lists, added one at a time as its answer is read.

    A tile's rows become columns with the other tiles of its batch (:meth:`columns_of`): numpy's
    cost per array (a dozen arrays, whatever their length) is then paid once a batch, not once a
    tile, which is most of what reading a sparse tile's answer cost.
    """

    def __init__(self, origin: tuple[float, float]) -> None:
        self.origin = origin
        self._boxes: list[Sequence[float]] = []
        self._scores: list[float] = []
        self._class_ids: list[int] = []
        self._top: list[int] = []
        self._skeleton_ids: list[int] = []
        self._counts: list[int] = []
        self._xy: list[float] = []
        self._classes: list[str] = []
        self._property_ids: list[int] = []
        self._extras: dict[int, str] = {}
        self._tables: tuple[dict[str, int], dict[str, int], dict[str, int]] = ({}, {}, {})

    def __len__(self) -> int:
        return len(self._scores)

    def add(
        self,
        skeleton_key: str,
        xy: list[float],
        extras: str | None,
        box: Sequence[float],
        top: tuple[int, str, float] | None,
        classes: str,
        properties: str,
    ) -> None:
        """One detection: its geometry (skeleton, x, y interleaved in tile pixels, the JSON of the
        further coordinates if any), box in tile pixels, top class (position, IRI, score), the
        JSON of its classes and of its other properties."""
        extra = {} if extras is None else {0: extras}
        self.add_all([skeleton_key], xy, [len(xy) // 2], extra, [box], [top], [classes], [properties])

    def add_all(
        self,
        skeleton_keys: list[str],
        xy: list[float],
        counts: list[int],
        extras: dict[int, str],
        boxes: list[Sequence[float]],
        tops: list[tuple[int, str, float] | None],
        classes: list[str],
        properties: list[str],
    ) -> None:
        """Detections as :meth:`add` takes one, each argument a list of theirs (``xy`` all their
        positions', ``counts`` how many each has; ``extras`` by their position in the lists)."""
        names, skeletons, texts = self._tables
        start = len(self._scores)
        self._boxes.extend(boxes)
        self._top.extend([-1 if top is None else top[0] for top in tops])
        self._class_ids.extend([-1 if top is None else names.setdefault(top[1], len(names)) for top in tops])
        self._scores.extend([0.0 if top is None else float(top[2]) for top in tops])
        self._skeleton_ids.extend([skeletons.setdefault(key, len(skeletons)) for key in skeleton_keys])
        self._counts.extend(counts)
        self._xy.extend(xy)
        self._classes.extend(classes)
        self._property_ids.extend([texts.setdefault(text, len(texts)) for text in properties])
        self._extras.update({start + row: text for row, text in extras.items()})

    def columns(self) -> DetectionColumns:
        """This tile's detections as columns, in full-image pixels."""
        return DetectionRows.columns_of([self])

    @staticmethod
    def columns_of(parts: Sequence[DetectionRows]) -> DetectionColumns:
        """The detections of ``parts`` (tiles) in order, as columns in full-image pixels; their
        tables merged (each text once)."""
        merged: tuple[dict[str, int], dict[str, int], dict[str, int]] = ({}, {}, {})
        ids: tuple[list[int], list[int], list[int]] = ([], [], [])
        boxes: list[Sequence[float]] = []
        scores: list[float] = []
        top: list[int] = []
        counts: list[int] = []
        xy: list[float] = []
        classes: list[str] = []
        extras: dict[int, str] = {}
        for part in parts:
            shift = len(scores)
            local_ids = (part._class_ids, part._skeleton_ids, part._property_ids)
            for table, local, into, rows in zip(merged, part._tables, ids, local_ids, strict=True):
                into.extend(_merged_ids(table, local, rows))
            boxes.extend(part._boxes)
            scores.extend(part._scores)
            top.extend(part._top)
            counts.extend(part._counts)
            xy.extend(part._xy)
            classes.extend(part._classes)
            extras.update({shift + row: text for row, text in part._extras.items()})
        sizes = np.array([len(part) for part in parts], np.intp)
        tiles = np.repeat(np.array([part.origin for part in parts], np.float64).reshape(-1, 2), sizes, axis=0)
        firsts = np.repeat(np.cumsum(sizes) - sizes, sizes)
        score_array = np.array(scores, np.float64)
        names, skeletons, texts = merged
        return DetectionColumns(
            boxes=np.array(boxes, np.float64).reshape(-1, 4) + np.tile(tiles, 2),
            scores=score_array,
            initial_scores=score_array.copy(),
            class_ids=np.array(ids[0], np.intp),
            tiles=tiles,
            ranks=np.arange(len(scores), dtype=np.intp) - firsts,
            skeleton_ids=np.array(ids[1], np.intp),
            position_starts=np.concatenate(([0], np.cumsum(counts, dtype=np.int64))).astype(np.int64),
            positions=np.array(xy, np.float64).reshape(-1, 2),
            classes=TextColumn.of(classes),
            top_classes=np.array(top, np.intp),
            property_ids=np.array(ids[2], np.intp),
            class_names=tuple(names),
            skeleton_keys=tuple(skeletons),
            property_texts=tuple(texts),
            extras=extras,
        )


def _merged_ids(table: dict[str, int], local: dict[str, int], rows: list[int]) -> list[int]:
    """A part's ``rows`` of indices into its ``local`` table as indices into the merged ``table``
    (which gains the part's new texts); -1 (no class) stays -1."""
    positions = [table.setdefault(text, len(table)) for text in local]
    if positions == list(range(len(positions))):  # the usual case: the same texts in the same order
        return rows
    positions.append(-1)
    return [positions[row] for row in rows]
