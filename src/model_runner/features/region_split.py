"""Which detections a region may distil on its own, and which wait for the image's completion.

Distillation (the repeated-box rule, NMS and Soft-NMS alike) only ever relates two detections
that are *linked*: of the same class, from different tiles, their boxes (zero sides counted as
:data:`~model_runner.features.distillation.POINT_EXTENT`) overlapping with a positive area. So it
decides each connected group of links on its own, and distilling any union of whole groups gives
those groups exactly what distilling the whole image gives them.

A region knows every detection of its own tiles. A group of them is *closed* when none of its
boxes could meet a detection of another region: a box that lies within the region's window and
overlaps no tile of another region cannot (another region's box inside its own window would have
to overlap one of its tiles). The region distils its closed groups itself; the others (a box in
the band where tiles of neighbouring regions overlap, or reaching out of the region's window) are
*deferred* to the completion, which distils them with its neighbours' deferred ones.

A box reaching out of its own region's window (a *stray*: models may answer boxes beyond their
tile) might meet a closed group of another region: the completion checks every stray against the
regions it reaches and takes such groups back (:func:`meets_stray`), so the result stays exact.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from model_runner.features.array_types import FloatArray, IndexArray
from model_runner.features.cell_grid import CellGrid
from model_runner.features.crowded_cells import CROWDED_CELL
from model_runner.features.distillation import extended, tile_groups
from model_runner.features.overlap_pairs import across_groups, overlapping_pairs

BoolArray = npt.NDArray[np.bool_]
Rectangle = tuple[float, float, float, float]
"""Left, top, right, bottom in full-image pixels."""


def linked_groups(boxes: FloatArray, classes: IndexArray, origins: FloatArray) -> IndexArray:
    """A group label per detection: linked detections (see the module docstring) share one.

    ``boxes`` are as the model gave them (zero sides are counted here). Boxes piled in a crowded
    cell of the grid are put in one group without comparing them pair by pair: a group may then
    join several linked groups, which keeps it closed and costs O(k) for a pile of k.
    """
    count = len(boxes)
    members = np.flatnonzero(classes >= 0).astype(np.intp)
    if not members.size:
        return np.arange(count, dtype=np.intp)
    grid = CellGrid.of(extended(boxes), classes, members)
    crowded = grid.runs[1] > CROWDED_CELL
    first, second, _ = across_groups(overlapping_pairs(grid, 0.0, ~crowded), tile_groups(origins))
    entries, starts, lengths = grid.entries_of_runs(crowded)
    piled = grid.box[entries]
    leaders = np.repeat(grid.box[starts], lengths)
    return connected(count, np.concatenate((first, leaders)), np.concatenate((second, piled)))


def connected(count: int, first: IndexArray, second: IndexArray) -> IndexArray:
    """The connected components of ``count`` nodes joined by the edges (first[i], second[i]):
    each node labelled with the smallest node of its component."""
    labels = np.arange(count, dtype=np.intp)
    while first.size:
        low = np.minimum(labels[first], labels[second])
        np.minimum.at(labels, labels[first], low)  # each root hooked under its smallest neighbour
        np.minimum.at(labels, labels[second], low)
        while True:  # every node pointed at its root
            jumped = labels[labels]
            if np.array_equal(jumped, labels):
                break
            labels = jumped
        apart = labels[first] != labels[second]
        first, second = first[apart], second[apart]
    return labels


def deferred_detections(
    boxes: FloatArray,
    classes: IndexArray,
    origins: FloatArray,
    window: Rectangle,
    other_tiles: FloatArray,
) -> tuple[BoolArray, IndexArray]:
    """Which detections of a region's tiles are deferred (every group holding a box that reaches
    out of ``window`` or overlaps one of ``other_tiles``, (M, 4) windows of other regions' tiles
    near it), and every detection's group label."""
    labels = linked_groups(boxes, classes, origins)
    exposed = (classes >= 0) & (~within(boxes, window) | overlapping_any(extended(boxes), other_tiles))
    return np.isin(labels, labels[exposed]), labels


def within(boxes: FloatArray, window: Rectangle) -> BoolArray:
    """Whether each box (zero sides counted as the distillation counts them) lies within ``window``."""
    grown = extended(boxes)
    left, top, right, bottom = window
    inside: BoolArray = (
        (grown[:, 0] >= left) & (grown[:, 1] >= top) & (grown[:, 2] <= right) & (grown[:, 3] <= bottom)
    )
    return inside


def overlapping_any(boxes: FloatArray, rectangles: FloatArray) -> BoolArray:
    """Whether each box overlaps some rectangle (M, 4) with a positive area.

    The rectangles' edges cut the plane into cells; a summed-area table of the cells they cover
    answers each box with a few lookups, whatever the number of rectangles.
    """
    if not len(rectangles) or not len(boxes):
        return np.zeros(len(boxes), bool)
    xs = np.unique(rectangles[:, [0, 2]])
    ys = np.unique(rectangles[:, [1, 3]])
    covered = np.zeros((len(ys) + 1, len(xs) + 1), np.int64)  # a difference array of the cells
    x0, x1 = np.searchsorted(xs, rectangles[:, 0]), np.searchsorted(xs, rectangles[:, 2])
    y0, y1 = np.searchsorted(ys, rectangles[:, 1]), np.searchsorted(ys, rectangles[:, 3])
    for rows, columns, sign in ((y0, x0, 1), (y0, x1, -1), (y1, x0, -1), (y1, x1, 1)):
        np.add.at(covered, (rows, columns), sign)
    cells = (covered.cumsum(axis=0).cumsum(axis=1) > 0)[:-1, :-1].astype(np.int64)
    table = np.zeros((cells.shape[0] + 1, cells.shape[1] + 1), np.int64)
    table[1:, 1:] = cells.cumsum(axis=0).cumsum(axis=1)
    # Cell c spans xs[c] to xs[c + 1]; a box meets the cells strictly inside its extent.
    first_column = np.searchsorted(xs, boxes[:, 0], side="right") - 1
    last_column = np.searchsorted(xs, boxes[:, 2], side="left") - 1
    first_row = np.searchsorted(ys, boxes[:, 1], side="right") - 1
    last_row = np.searchsorted(ys, boxes[:, 3], side="left") - 1
    first_column, first_row = np.maximum(first_column, 0), np.maximum(first_row, 0)
    last_column = np.minimum(last_column, len(xs) - 2)
    last_row = np.minimum(last_row, len(ys) - 2)
    some = (first_column <= last_column) & (first_row <= last_row)
    a, b = np.where(some, first_row, 0), np.where(some, first_column, 0)
    c, d = np.where(some, last_row + 1, 0), np.where(some, last_column + 1, 0)
    total = table[c, d] - table[a, d] - table[c, b] + table[a, b]
    hit: BoolArray = some & (total > 0)
    return hit


def meets_stray(
    boxes: FloatArray, classes: IndexArray, stray_boxes: FloatArray, stray_classes: IndexArray
) -> BoolArray:
    """Which of ``boxes`` a stray box of the same class overlaps with a positive area (a link:
    strays come from other regions, so from other tiles)."""
    hit = np.zeros(len(boxes), bool)
    grown, strays = extended(boxes), extended(stray_boxes)
    for box, label in zip(strays.tolist(), stray_classes.tolist(), strict=True):
        if label < 0:
            continue
        hit |= (
            (classes == label)
            & (np.minimum(grown[:, 2], box[2]) - np.maximum(grown[:, 0], box[0]) > 0)
            & (np.minimum(grown[:, 3], box[3]) - np.maximum(grown[:, 1], box[1]) > 0)
        )
    return hit
