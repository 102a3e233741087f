"""Greedy non-maximum suppression per class, in near-linear time on sparse and piled-up boxes alike."""

from __future__ import annotations

import numpy as np

from model_runner.features import crowded_cells
from model_runner.features.array_types import FloatArray, IndexArray
from model_runner.features.cell_grid import BoolArray, CellGrid, by_score, iou, suppressible
from model_runner.features.overlap_pairs import overlapping_pairs

_PAIRS_PER_ENTRY = 4
"""Cell-sharing pairs per grid entry below which the remaining boxes are compared pairwise."""

_ROUND_PAYOFF = 1
"""Comparisons rounds must spare per entry they scan to go on."""


def nms(boxes: FloatArray, scores: FloatArray, classes: IndexArray, iou_threshold: float) -> IndexArray:
    """Positions (ascending) of the boxes that greedy NMS keeps.

    Boxes are visited from the highest score down, equal scores in the order given. A box is
    kept unless a kept box of the same class overlaps it with an IoU strictly greater than
    ``iou_threshold``: an IoU exactly at the threshold does not suppress. Boxes of a negative
    class and boxes of zero area are always kept.

    Boxes are indexed in a grid (:class:`CellGrid`). Cells shared by many boxes are first
    thinned in rounds (:func:`_decide_cell_leaders`), one numpy pass over the undecided boxes
    each, while rounds spare more comparisons than they scan; the rest is settled in rank
    order, pair by pair in sparse cells and in bulk in crowded ones, each kept box compared at
    once with the undecided boxes of its crowded cells (``crowded_cells.CrowdedCells``).

    Cost: sorting, plus the pairs sharing sparse cells (a few per box, as the grid's cell side
    is chosen for), plus O(k * K) for a crowded cell of k boxes of which K are kept. k identical
    boxes cost O(k): the first round keeps the best and suppresses the rest. Slow still: large
    piles of which many boxes are kept, such as k boxes a pixel apart with a threshold near 1,
    O(k^2). A threshold of 1 suppresses nothing and costs nothing.
    """
    count = len(scores)
    if iou_threshold >= 1:  # an IoU never exceeds 1, not even in floating point
        return np.arange(count, dtype=np.intp)
    order = by_score(scores)
    members = order[suppressible(boxes, classes)[order]]
    suppressed = np.zeros(count, dtype=bool)
    grid = CellGrid.of(boxes, classes, members)
    initial = work = _pairwise_work(grid)
    scanned = 0
    # Rounds go on while they spare more comparisons than the entries they scan.
    while work > _PAIRS_PER_ENTRY * len(grid) and initial - work >= _ROUND_PAYOFF * scanned:
        scanned += len(grid)
        grid = _decide_cell_leaders(grid, iou_threshold, suppressed)
        work = _pairwise_work(grid)
    _suppress_in_rank_order(grid, order, iou_threshold, suppressed)
    return np.flatnonzero(~suppressed).astype(np.intp)


def _pairwise_work(grid: CellGrid) -> int:
    """Comparisons :func:`_suppress_in_rank_order` would make, were each crowded cell's box kept once.

    A cell of k <= ``CROWDED_CELL`` boxes costs its k(k - 1)/2 pairs; a crowded one is
    searched in bulk at O(k) per box kept in it, counted as ``CROWDED_CELL`` per box.
    """
    lengths = grid.runs[1].astype(np.int64)
    return int(np.minimum(lengths * (lengths - 1) // 2, crowded_cells.CROWDED_CELL * lengths).sum())


def _decide_cell_leaders(grid: CellGrid, iou_threshold: float, suppressed: BoolArray) -> CellGrid:
    """One round: keep each box that leads every cell it is in, suppress what it overlaps too much.

    Cells list their undecided boxes by rank. A box first in all its cells has no better
    undecided box of its class overlapping it, and the better decided ones, if kept, did not
    suppress it: greedy NMS keeps it. Every class's best undecided box is such a leader, so each
    round decides at least one box per class. Returns the grid of the boxes still undecided.
    """
    starts = grid.runs[0]
    first = np.zeros(len(grid), dtype=bool)
    first[starts] = True
    trailing = grid.box[~first]
    behind = np.zeros(len(grid.boxes), dtype=bool)
    behind[trailing] = True
    leads = ~behind[grid.box[starts]]
    run = np.cumsum(first) - 1
    follower = np.flatnonzero(leads[run] & ~first)
    leader = grid.box[starts[run[follower]]]
    losers = grid.box[follower][iou(grid.boxes[leader], grid.boxes[grid.box[follower]]) > iou_threshold]
    suppressed[losers] = True
    decided = np.zeros(len(grid.boxes), dtype=bool)
    decided[grid.box[starts[leads]]] = True
    decided[losers] = True
    return grid.where(~decided[grid.box])


def _suppress_in_rank_order(
    grid: CellGrid, order: IndexArray, iou_threshold: float, suppressed: BoolArray
) -> None:
    """Greedy NMS among the boxes of ``grid``: pair by pair in sparse cells, in bulk in crowded ones."""
    count = len(grid.boxes)
    crowded = grid.runs[1] > crowded_cells.CROWDED_CELL
    cells = crowded_cells.CrowdedCells(grid, crowded)
    rank = np.empty(count, np.intp)
    rank[order] = np.arange(count)
    first, second, _ = overlapping_pairs(grid, iou_threshold, ~crowded)
    first_wins = rank[first] < rank[second]
    winner = np.where(first_wins, first, second)
    by_winner = np.argsort(winner, kind="stable")
    losers = np.where(first_wins, second, first)[by_winner]
    bounds = np.searchsorted(winner[by_winner], np.arange(count + 1)).tolist()
    in_crowded = cells.bounds
    visited = np.zeros(count, bool)
    visited[winner] = True
    visited[cells.boxes()] = True

    # Shared with a numpy view, so the loop reads it at list speed and crowded cells in bulk.
    fate = bytearray(count)  # 0: undecided, 1: kept, 2: suppressed
    fates = np.frombuffer(fate, np.uint8)
    # In rank order, so each box's own fate is settled before it is read.
    for box in order[visited[order]].tolist():
        if fate[box]:
            continue
        fate[box] = 1
        if bounds[box] != bounds[box + 1]:
            fates[losers[bounds[box] : bounds[box + 1]]] = 2
        if in_crowded[box] != in_crowded[box + 1]:
            near, overlap = cells.overlaps(box, fates)
            fates[near[overlap > iou_threshold]] = 2
    suppressed |= fates == 2
