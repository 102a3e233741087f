"""The pairs of boxes that overlap in the cells of a grid, each pair found once, in its home cell."""

from __future__ import annotations

import numpy as np

from model_runner.features.array_types import FloatArray, IndexArray
from model_runner.features.cell_grid import BoolArray, CellGrid, iou

_PAIRS_PER_CHUNK = 1 << 21
"""Candidate pairs examined at once, which bounds the memory of a crowded cell."""


def overlapping_pairs(
    grid: CellGrid, min_iou: float, runs: BoolArray | None = None
) -> tuple[IndexArray, IndexArray, FloatArray]:
    """Every pair of boxes sharing a cell of ``grid`` whose IoU is greater than ``min_iou`` (>= 0).

    With ``runs`` (one flag per run of the grid), only pairs whose home cell is a flagged run.
    Returns the positions of the two boxes of each pair (each pair once, the one listed first in
    its cell first) and their IoU. A cell of k entries costs k^2 / 2 comparisons, so callers
    keep crowded cells out.
    """
    entry, starts, lengths = grid.entries_of_runs(runs)
    # Each entry pairs with the entries after it in its run.
    partners = np.repeat(starts + lengths, lengths) - entry - 1
    reached = np.cumsum(partners)

    found: list[tuple[IndexArray, IndexArray, FloatArray]] = []
    start = 0
    while start < entry.size:
        done = int(reached[start - 1]) if start else 0
        stop = max(start + 1, int(np.searchsorted(reached, done + _PAIRS_PER_CHUNK, side="right")))
        count = partners[start:stop]
        first = np.repeat(entry[start:stop], count)
        second = first + 1 + np.arange(first.size) - np.repeat(np.cumsum(count) - count, count)
        a, b = grid.box[first], grid.box[second]
        corner = np.maximum(grid.boxes[a, :2], grid.boxes[b, :2])
        home = grid.at_home(corner, grid.column[first], grid.row[first])
        a, b = a[home], b[home]
        overlap = iou(grid.boxes[a], grid.boxes[b], corner[home])
        kept = overlap > min_iou
        found.append((a[kept], b[kept], overlap[kept]))
        start = stop
    if not found:
        return np.empty(0, np.intp), np.empty(0, np.intp), np.empty(0, np.float64)
    first_box, second_box, overlaps = (np.concatenate(parts) for parts in zip(*found, strict=True))
    return first_box.astype(np.intp), second_box.astype(np.intp), overlaps
