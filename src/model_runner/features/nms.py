"""Greedy non-maximum suppression per class, in O(n log n)-like time on crowded and sparse inputs."""

from __future__ import annotations

import numpy as np

from model_runner.features.array_types import FloatArray, IndexArray
from model_runner.features.cell_grid import BoolArray, CellGrid, iou, ranked, suppressible
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

    Crowded cells of the grid are first thinned in rounds (:func:`_decide_cell_leaders`), each
    costing one numpy pass over the undecided entries, until the boxes left share cells with
    few others; those are then compared pairwise. k boxes piled on one spot take one round: the
    best is kept and suppresses the others. Slow still: many boxes sharing a cell of which most
    are kept, which takes about one round per kept box of that cell, e.g. piles of near-identical
    boxes with a threshold near 1 (a threshold of 1 suppresses nothing and costs nothing).
    """
    count = len(scores)
    if iou_threshold >= 1:  # an IoU never exceeds 1, not even in floating point
        return np.arange(count, dtype=np.intp)
    order, rank = ranked(scores)
    members = order[suppressible(boxes, classes)[order]]
    suppressed = np.zeros(count, dtype=bool)
    grid = CellGrid.of(boxes, classes, members)
    initial = pairs = grid.shared_cell_pairs()
    scanned = 0
    # Rounds go on while they spare more comparisons than the entries they scan.
    while pairs > _PAIRS_PER_ENTRY * len(grid) and initial - pairs >= _ROUND_PAYOFF * scanned:
        scanned += len(grid)
        grid = _decide_cell_leaders(grid, iou_threshold, suppressed)
        pairs = grid.shared_cell_pairs()
    _suppress_pairwise(grid, rank, iou_threshold, suppressed)
    return np.flatnonzero(~suppressed).astype(np.intp)


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


def _suppress_pairwise(grid: CellGrid, rank: IndexArray, iou_threshold: float, suppressed: BoolArray) -> None:
    """Greedy NMS among the boxes of ``grid``, through their pairs that overlap above the threshold."""
    first, second, _ = overlapping_pairs(grid, iou_threshold)
    first_wins = rank[first] < rank[second]
    winner = np.where(first_wins, first, second)
    loser = np.where(first_wins, second, first)
    order = np.argsort(rank[winner], kind="stable")
    winner, loser = winner[order], loser[order]
    starts = np.flatnonzero(np.diff(winner, prepend=-1))
    bounds = np.append(starts, winner.size).tolist()
    losers = loser.tolist()
    # Winners come in rank order, so each one's own fate is settled before it is read.
    for box, start, end in zip(winner[starts].tolist(), bounds[:-1], bounds[1:], strict=True):
        if not suppressed[box]:
            suppressed[losers[start:end]] = True
