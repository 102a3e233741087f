"""A uniform grid index over boxes, per class, that NMS and Soft-NMS use instead of an N x N matrix.

Each box is entered in every cell it covers. Two boxes of one class that overlap share the cell
holding the top-left corner of their overlap (the pair's *home* cell), so comparing only boxes
that share a cell finds every overlap, and comparing them only in their home cell finds it once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np
import numpy.typing as npt

from model_runner.features.array_types import FloatArray, IndexArray

CellArray = npt.NDArray[np.int64]
"""Cell columns, rows or keys."""

BoolArray = npt.NDArray[np.bool_]

_MAX_CELLS_PER_BOX = 8
"""Grid entries allowed per box on average; the cell size doubles until this holds."""

_MAX_KEY = 2**62
"""Cell keys (class, row, column) must fit in an int64."""

_SAMPLE = 2048
"""Boxes sampled to judge a cell side."""

_COST_PER_BOX = 8
"""Estimated cost per box (entries and pairs sharing a cell) below which a cell side is good enough."""

_FINER_STEPS = 6
"""How many times a crowded cell side may be halved."""

_MAX_SAMPLED_CELLS_PER_BOX = 32
"""Entries per box beyond which a finer cell side is not worth its memory."""


@dataclass(frozen=True)
class CellGrid:
    """The (box, cell) entries of some boxes, sorted by cell; a cell's entries keep the boxes' order.

    ``box`` holds positions into ``boxes``; ``column`` and ``row`` the entry's cell and ``key``
    (ascending) the cell with its class. A *run* is the entries of one key. ``first_column``
    and ``first_row`` hold the top-left cell of each of ``boxes`` (of those in the grid).
    """

    boxes: FloatArray
    origin: FloatArray
    cell: float
    box: IndexArray
    column: CellArray
    row: CellArray
    key: CellArray
    first_column: CellArray
    first_row: CellArray

    @classmethod
    def of(cls, boxes: FloatArray, classes: IndexArray, members: IndexArray) -> CellGrid:
        """The grid of ``members`` (positions into ``boxes``, each of a class >= 0 and of positive area).

        Entries of one cell come in the order of ``members``, so a cell lists its boxes by rank
        when ``members`` are given by rank.
        """
        chosen = boxes[members]
        first = np.zeros((2, len(boxes)), np.int64)
        if not members.size:
            empty = np.empty(0, np.int64)
            return cls(boxes, np.zeros(2), 1.0, members, empty, empty, empty, *first)
        origin = np.array([chosen[:, 0].min(), chosen[:, 1].min()])
        labels = classes[members]
        cell = _cell_size(chosen, labels, origin)
        member, column, row, key = _entries(chosen, labels, origin, cell)
        order = np.argsort(key, kind="stable")
        first[:, members] = np.floor((chosen[:, :2] - origin) / cell).T
        entries = members[member[order]], column[order], row[order], key[order]
        return cls(boxes, origin, cell, *entries, *first)

    def __len__(self) -> int:
        return int(self.box.size)

    def where(self, keep: BoolArray) -> CellGrid:
        """The grid of the entries where ``keep`` is true (their order kept)."""
        return replace(
            self, box=self.box[keep], column=self.column[keep], row=self.row[keep], key=self.key[keep]
        )

    @cached_property
    def runs(self) -> tuple[IndexArray, IndexArray]:
        """The position of the first entry of each run, and the run's length."""
        if not self.key.size:
            return np.empty(0, np.intp), np.empty(0, np.intp)
        starts = np.flatnonzero(np.diff(self.key, prepend=self.key[0] - 1)).astype(np.intp)
        return starts, np.diff(np.append(starts, len(self))).astype(np.intp)

    def entries_of_runs(self, chosen: BoolArray | None = None) -> tuple[IndexArray, IndexArray, IndexArray]:
        """The entries of the ``chosen`` runs (a flag per run; all if None), and their starts and lengths."""
        starts, lengths = self.runs
        if chosen is not None:
            starts, lengths = starts[chosen], lengths[chosen]
        offsets = np.cumsum(lengths) - lengths
        entries = np.arange(int(lengths.sum())) + np.repeat(starts - offsets, lengths)
        return entries.astype(np.intp), starts, lengths

    def at_home(self, corner: FloatArray, column: CellArray | int, row: CellArray | int) -> BoolArray:
        """Whether each overlap whose top-left corner is ``corner`` has its home in (``column``, ``row``)."""
        home = np.floor((corner - self.origin) / self.cell).astype(np.int64)
        at_home: BoolArray = (home[:, 0] == column) & (home[:, 1] == row)
        return at_home


def iou(first: FloatArray, second: FloatArray, corner: FloatArray | None = None) -> FloatArray:
    """IoU of each pair of boxes (rows of ``first`` and ``second``, or one box and many).

    0 where they do not overlap. ``corner`` is the top-left corner of their overlap, when known.
    Computed as the reference implementations do, so equal inputs give bit-equal results.
    """
    corner = np.maximum(first[..., :2], second[..., :2]) if corner is None else corner
    far = np.minimum(first[..., 2:], second[..., 2:])
    sides = np.maximum(far - corner, 0.0)
    inter = sides[..., 0] * sides[..., 1]
    areas = (first[..., 2] - first[..., 0]) * (first[..., 3] - first[..., 1])
    areas = areas + (second[..., 2] - second[..., 0]) * (second[..., 3] - second[..., 1])
    result: FloatArray = inter / (areas - inter)
    return result


def by_score(scores: FloatArray) -> IndexArray:
    """Positions from the highest score down, equal scores in the order given."""
    order: IndexArray = np.argsort(-scores, kind="stable").astype(np.intp)
    return order


def suppressible(boxes: FloatArray, classes: IndexArray) -> BoolArray:
    """Boxes that can overlap another: of a class (>= 0) and of positive area."""
    result: BoolArray = (classes >= 0) & (boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])
    return result


def _entries(
    boxes: FloatArray, labels: IndexArray, origin: FloatArray, cell: float
) -> tuple[IndexArray, CellArray, CellArray, CellArray]:
    """One entry per box and cell it covers: the box's position, the cell's column, row and key."""
    low = np.floor((boxes[:, :2] - origin) / cell).astype(np.int64)
    high = np.floor((boxes[:, 2:] - origin) / cell).astype(np.int64)
    spans = high - low + 1
    per_box = spans[:, 0] * spans[:, 1]
    member = np.repeat(np.arange(len(boxes)), per_box)
    local = np.arange(member.size) - np.repeat(np.cumsum(per_box) - per_box, per_box)
    column = low[member, 0] + local % spans[member, 0]
    row = low[member, 1] + local // spans[member, 0]
    columns, rows = (int(value) + 1 for value in high.max(axis=0))
    key = (labels[member].astype(np.int64) * rows + row) * columns + column
    return member, column, row, key


def _cell_size(boxes: FloatArray, labels: IndexArray, origin: FloatArray) -> float:
    """A cell side that keeps both the entries and the pairs sharing a cell few.

    Start from the side of most boxes, doubled until boxes cover few cells each on average;
    where boxes still crowd the cells (long thin boxes, or large boxes that set the side
    over many small ones), try halving it, judging each side on a sample of the boxes.
    """
    sides = np.maximum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])
    cell = float(np.quantile(sides, 0.9))
    while (
        _too_many_keys(boxes, labels, origin, cell)
        or _entries_per_box(boxes, origin, cell) > _MAX_CELLS_PER_BOX
    ):
        cell *= 2
    sample = np.arange(0, len(boxes), max(1, len(boxes) // _SAMPLE))
    best, best_cost = cell, _estimated_cost(boxes[sample], labels[sample], origin, cell, len(boxes))
    for _ in range(_FINER_STEPS):
        if best_cost <= _COST_PER_BOX * len(boxes) or _too_many_keys(boxes, labels, origin, best / 2):
            break
        cost = _estimated_cost(boxes[sample], labels[sample], origin, best / 2, len(boxes))
        if cost >= best_cost:  # piles of boxes share cells whatever their side
            break
        best, best_cost = best / 2, cost
    return best


def _entries_per_box(boxes: FloatArray, origin: FloatArray, cell: float) -> float:
    spans = np.floor((boxes[:, 2:] - origin) / cell) - np.floor((boxes[:, :2] - origin) / cell) + 1
    return float((spans[:, 0] * spans[:, 1]).mean())


def _too_many_keys(boxes: FloatArray, labels: IndexArray, origin: FloatArray, cell: float) -> bool:
    far = np.floor((boxes[:, 2:].max(axis=0) - origin) / cell) + 1
    return float(labels.max() + 1) * float(far[0]) * float(far[1]) >= _MAX_KEY


def _estimated_cost(
    boxes: FloatArray, labels: IndexArray, origin: FloatArray, cell: float, count: int
) -> float:
    """Entries and pairs sharing a cell of ``count`` boxes with this cell side, judged on a sample of them."""
    if _entries_per_box(boxes, origin, cell) > _MAX_SAMPLED_CELLS_PER_BOX:
        return math.inf
    _, _, _, key = _entries(boxes, labels, origin, cell)
    shared = np.unique(key, return_counts=True)[1].astype(np.float64)
    scale = count / len(boxes)
    return float(key.size * scale + (shared * (shared - 1)).sum() / 2 * scale**2)
