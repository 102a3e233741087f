"""Gaussian Soft-NMS per class, exact, in near-linear time when piles of boxes fall below the threshold."""

from __future__ import annotations

import heapq
from array import array

import numpy as np

from model_runner.features import crowded_cells
from model_runner.features.array_types import FloatArray, IndexArray
from model_runner.features.cell_grid import BoolArray, CellGrid, suppressible
from model_runner.features.overlap_pairs import overlapping_pairs

_SELECTED = 1
_DROPPED = 2


def soft_nms(
    boxes: FloatArray, scores: FloatArray, classes: IndexArray, sigma: float, skip_box_threshold: float
) -> tuple[IndexArray, FloatArray]:
    """Positions (ascending) of the boxes Gaussian Soft-NMS keeps, and their decayed scores.

    Repeatedly the box with the highest current score is selected (equal scores: the first
    given) and every remaining box of its class is rescored ``score * exp(-iou**2 / sigma)``;
    a box whose score is below ``skip_box_threshold`` (at the start or after a decay) is dropped
    and decays nothing. Boxes of a negative class are kept with their scores.

    The selections and decays are the reference's, one at a time and in the same order. Pairs
    of boxes meeting in the sparse cells of a grid are listed beforehand; a crowded cell is
    instead searched with numpy when one of its boxes is selected, and queued as one entry for
    its best box. Cost: sorting and the heap, plus the pairs of sparse cells, plus O(k) per
    selection made in a crowded cell of k remaining boxes, rather than k^2 up front.

    Bound: a selected box overlapping another with IoU u multiplies its score by
    exp(-u^2 / sigma), so a box of score s survives at most ``sigma * ln(s / threshold) / u^2``
    such decays. With the request defaults (sigma 0.1, threshold 0.0001) and scores up to 1,
    that is 0 for u > 0.96: k identical boxes all fall at the first selection, O(k) work in
    all, and near-duplicates (u > 0.5) survive at most 3 decays. Slow still, as the reference
    decays every such pair too: many boxes that overlap little and so decay little (long thin
    boxes crossing, a large box over many small ones), and a threshold of 0, with which k
    boxes on one spot cost k^2 / 2 decays.
    """
    current = scores.astype(np.float64)
    initially_dropped = (current < skip_box_threshold) & (classes >= 0)
    alive = np.flatnonzero(~initially_dropped)
    grid = CellGrid.of(boxes, classes, alive[suppressible(boxes[alive], classes[alive])])
    crowded = grid.runs[1] > crowded_cells.CROWDED_CELL
    cells = crowded_cells.CrowdedCells(grid, crowded)
    bounds, targets, factors = _pair_lists(grid, ~crowded, sigma)
    in_crowded = cells.bounds

    # Shared with numpy views, so the loop reads them at list speed and crowded cells in bulk.
    score = array("d", current.tobytes())
    fate = bytearray((initially_dropped * _DROPPED).astype(np.uint8).tobytes())
    scores_now, fates = np.frombuffer(score, np.float64), np.frombuffer(fate, np.uint8)
    # Entries (-score, box, cell): a box's own (cell -1), or the best box of a crowded cell,
    # standing for all of that cell's boxes. Scores only fall, so an entry stays an upper
    # bound of what it stands for: when it comes up stale it is requeued with its current best.
    loners = np.setdiff1d(np.flatnonzero(np.diff(bounds)), cells.boxes())
    queue = [(-score[box], box, -1) for box in loners.tolist()]
    for cell in range(len(cells.members)):
        best = cells.best(cell, scores_now, fates)
        if best is not None:
            queue.append((-best[0], best[1], cell))
    heapq.heapify(queue)
    while queue:
        negative, box, cell = queue[0]
        if cell < 0:
            if fate[box]:
                heapq.heappop(queue)
                continue
            if -negative != score[box]:
                heapq.heapreplace(queue, (-score[box], box, -1))
                continue
            heapq.heappop(queue)
        else:
            best = cells.best(cell, scores_now, fates)
            if best is None:
                heapq.heappop(queue)
                continue
            if best != (-negative, box):
                heapq.heapreplace(queue, (-best[0], best[1], cell))
                continue
            # The entry stays: it still bounds the cell's other boxes.
        fate[box] = _SELECTED
        for position in range(bounds[box], bounds[box + 1]):
            other = targets[position]
            if not fate[other]:
                score[other] *= factors[position]
                if score[other] < skip_box_threshold:
                    fate[other] = _DROPPED
        if in_crowded[box] != in_crowded[box + 1]:
            near, overlap = cells.overlaps(box, fates)
            decayed = scores_now[near] * np.exp(-(overlap**2) / sigma)
            scores_now[near] = decayed
            fates[near[decayed < skip_box_threshold]] = _DROPPED
    kept = np.flatnonzero(fates != _DROPPED).astype(np.intp)
    return kept, scores_now[kept].copy()


def _pair_lists(grid: CellGrid, runs: BoolArray, sigma: float) -> tuple[list[int], array[int], array[float]]:
    """For each box, the boxes it decays through pairs at home in ``runs``, and by how much.

    Box b's are at ``bounds[b]:bounds[b + 1]`` of the returned targets and factors.
    """
    first, second, overlap = overlapping_pairs(grid, 0.0, runs)
    source = np.concatenate([first, second])
    target = np.concatenate([second, first])
    factor = np.tile(np.exp(-(overlap**2) / sigma), 2)
    order = np.argsort(source, kind="stable")
    bounds = np.searchsorted(source[order], np.arange(len(grid.boxes) + 1))
    # Arrays rather than lists: read one by one as fast, but stored unboxed.
    targets = array("q", target[order].astype(np.int64).tobytes())
    return bounds.tolist(), targets, array("d", factor[order].tobytes())
