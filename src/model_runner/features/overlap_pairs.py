"""All pairs of same-class boxes that overlap, found through a uniform grid index.

Detections on tiled imagery are small and local, so hashing every box into the grid cells it
covers and comparing only boxes that share a cell finds every overlapping pair without an
N x N matrix. The cell size adapts so that the boxes cover few cells each.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from model_runner.features.array_types import FloatArray, IndexArray

_MAX_CELLS_PER_BOX = 8
"""Grid entries allowed per box on average; the cell size doubles until this holds."""

_MAX_KEY = 2**62
"""Cell keys (class, row, column) must fit in an int64."""

_PAIRS_PER_CHUNK = 1 << 21
"""Candidate pairs examined at once, which bounds the memory of a crowded cell."""


def overlapping_pairs(
    boxes: FloatArray, classes: IndexArray, min_iou: float
) -> tuple[IndexArray, IndexArray, FloatArray]:
    """Every pair of boxes of the same class whose IoU is greater than ``min_iou`` (>= 0).

    ``boxes`` is (N, 4) min x, min y, max x, max y; ``classes`` (N,), where a negative class
    takes part in no pair. Boxes of zero area overlap nothing. Returns the positions of the two
    boxes of each pair (each pair once, in no particular order) and their IoU.
    """
    candidates = np.flatnonzero(
        (classes >= 0) & (boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])
    ).astype(np.intp)
    found: list[tuple[IndexArray, IndexArray, FloatArray]] = []
    if candidates.size > 1:
        found.extend(_grid_pairs(boxes[candidates], classes[candidates], min_iou))
    if not found:
        return np.empty(0, np.intp), np.empty(0, np.intp), np.empty(0, np.float64)
    first, second, iou = (np.concatenate(parts) for parts in zip(*found, strict=True))
    return candidates[first], candidates[second], iou


def across_groups(
    pairs: tuple[IndexArray, IndexArray, FloatArray], groups: IndexArray | None
) -> tuple[IndexArray, IndexArray, FloatArray]:
    """The pairs whose two boxes belong to different groups (all of them when ``groups`` is None)."""
    if groups is None:
        return pairs
    first, second, iou = pairs
    apart = groups[first] != groups[second]
    return first[apart], second[apart], iou[apart]


def _grid_pairs(
    boxes: FloatArray, classes: IndexArray, min_iou: float
) -> Iterator[tuple[IndexArray, IndexArray, FloatArray]]:
    origin = boxes[:, :2].min(axis=0)
    n_classes = int(classes.max()) + 1
    cell = _cell_size(boxes, origin, n_classes)
    low = np.floor((boxes[:, :2] - origin) / cell).astype(np.int64)
    high = np.floor((boxes[:, 2:] - origin) / cell).astype(np.int64)
    columns = int(high[:, 0].max()) + 1
    rows = int(high[:, 1].max()) + 1

    # One entry per (box, covered cell), sorted by cell.
    spans = high - low + 1
    per_box = spans[:, 0] * spans[:, 1]
    entry_box = np.repeat(np.arange(len(boxes)), per_box)
    local = np.arange(entry_box.size) - np.repeat(np.cumsum(per_box) - per_box, per_box)
    entry_x = low[entry_box, 0] + local % spans[entry_box, 0]
    entry_y = low[entry_box, 1] + local // spans[entry_box, 0]
    key = (classes[entry_box].astype(np.int64) * rows + entry_y) * columns + entry_x
    order = np.argsort(key, kind="stable")
    key, entry_box, entry_x, entry_y = key[order], entry_box[order], entry_x[order], entry_y[order]

    # Each entry pairs with the entries after it in the same cell.
    run_starts = np.flatnonzero(np.diff(key)) + 1
    run_ends = np.append(run_starts, key.size)
    run_of_entry = np.searchsorted(run_starts, np.arange(key.size), side="right")
    partners = run_ends[run_of_entry] - np.arange(key.size) - 1
    reached = np.cumsum(partners)

    start = 0
    while start < key.size:
        done = int(reached[start - 1]) if start else 0
        stop = max(start + 1, int(np.searchsorted(reached, done + _PAIRS_PER_CHUNK, side="right")))
        count = partners[start:stop]
        first = np.repeat(np.arange(start, stop), count)
        second = first + 1 + np.arange(first.size) - np.repeat(np.cumsum(count) - count, count)
        a, b = entry_box[first], entry_box[second]
        corner = np.maximum(boxes[a, :2], boxes[b, :2])
        # A pair sharing several cells is reported only in the cell of its overlap's corner.
        home = np.floor((corner - origin) / cell).astype(np.int64)
        at_home = (home[:, 0] == entry_x[first]) & (home[:, 1] == entry_y[first])
        a, b, corner = a[at_home], b[at_home], corner[at_home]
        iou = _iou(boxes[a], boxes[b], corner)
        overlapping = iou > min_iou
        yield a[overlapping].astype(np.intp), b[overlapping].astype(np.intp), iou[overlapping]
        start = stop


def _cell_size(boxes: FloatArray, origin: FloatArray, n_classes: int) -> float:
    sides = np.maximum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])
    cell = float(np.quantile(sides, 0.9))
    while True:
        low = np.floor((boxes[:, :2] - origin) / cell)
        high = np.floor((boxes[:, 2:] - origin) / cell)
        entries = float(np.prod(high - low + 1, axis=1).sum())
        keys = n_classes * math.prod(float(value) + 1 for value in high.max(axis=0))
        if entries <= _MAX_CELLS_PER_BOX * len(boxes) and keys < _MAX_KEY:
            return cell
        cell *= 2


def _iou(first: FloatArray, second: FloatArray, corner: FloatArray) -> FloatArray:
    """IoU of boxes whose overlap starts at ``corner``; 0 where they do not overlap."""
    far = np.minimum(first[:, 2:], second[:, 2:])
    sides = np.clip(far - corner, 0.0, None)
    inter = sides[:, 0] * sides[:, 1]
    areas = (first[:, 2] - first[:, 0]) * (first[:, 3] - first[:, 1])
    areas += (second[:, 2] - second[:, 0]) * (second[:, 3] - second[:, 1])
    iou: FloatArray = inter / (areas - inter)
    return iou
