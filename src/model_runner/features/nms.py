"""Greedy non-maximum suppression per class."""

from __future__ import annotations

import numpy as np

from model_runner.features.array_types import FloatArray, IndexArray
from model_runner.features.overlap_pairs import across_groups, overlapping_pairs


def nms(
    boxes: FloatArray,
    scores: FloatArray,
    classes: IndexArray,
    iou_threshold: float,
    groups: IndexArray | None = None,
) -> IndexArray:
    """Positions (ascending) of the boxes that greedy NMS keeps.

    Boxes are visited from the highest score down, equal scores in the order given. A box is
    kept unless a kept box of the same class overlaps it with an IoU strictly greater than
    ``iou_threshold``: an IoU exactly at the threshold does not suppress. Boxes of a negative
    class and boxes of zero area are always kept. With ``groups`` (N,), only boxes of different
    groups (tiles) suppress each other.
    """
    count = len(scores)
    rank = np.empty(count, np.intp)
    rank[np.argsort(-scores, kind="stable")] = np.arange(count)
    first, second, _ = across_groups(overlapping_pairs(boxes, classes, iou_threshold), groups)
    first_wins = rank[first] < rank[second]
    winner = np.where(first_wins, first, second)
    loser = np.where(first_wins, second, first)
    order = np.argsort(rank[winner], kind="stable")
    winner, loser = winner[order], loser[order]
    starts = np.flatnonzero(np.diff(winner, prepend=-1))
    bounds = np.append(starts, winner.size).tolist()

    suppressed = np.zeros(count, dtype=bool)
    losers = loser.tolist()
    # Winners come in rank order, so each one's own fate is settled before it is read.
    for box, start, end in zip(winner[starts].tolist(), bounds[:-1], bounds[1:], strict=True):
        if not suppressed[box]:
            suppressed[losers[start:end]] = True
    return np.flatnonzero(~suppressed).astype(np.intp)
