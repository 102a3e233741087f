"""Gaussian Soft-NMS per class."""

from __future__ import annotations

import heapq

import numpy as np

from model_runner.features.array_types import FloatArray, IndexArray
from model_runner.features.overlap_pairs import across_groups, overlapping_pairs


def soft_nms(
    boxes: FloatArray,
    scores: FloatArray,
    classes: IndexArray,
    sigma: float,
    skip_box_threshold: float,
    groups: IndexArray | None = None,
) -> tuple[IndexArray, FloatArray]:
    """Positions (ascending) of the boxes Gaussian Soft-NMS keeps, and their decayed scores.

    Repeatedly the box with the highest current score is selected (equal scores: the first
    given) and every remaining box of its class is rescored ``score * exp(-iou**2 / sigma)``;
    a box whose score is below ``skip_box_threshold`` (at the start or after a decay) is dropped
    and decays nothing. Boxes of a negative class are kept with their scores. With ``groups`` (N,),
    only boxes of different groups (tiles) decay each other.
    """
    count = len(scores)
    current = scores.astype(np.float64)
    dropped = (current < skip_box_threshold) & (classes >= 0)
    alive = np.flatnonzero(~dropped)
    first, second, iou = across_groups(
        overlapping_pairs(boxes[alive], classes[alive], 0.0), None if groups is None else groups[alive]
    )
    source = alive[np.concatenate([first, second])]
    target = alive[np.concatenate([second, first])]
    factor = np.tile(np.exp(-(iou**2) / sigma), 2)
    order = np.argsort(source, kind="stable")
    source, target, factor = source[order], target[order], factor[order]
    bounds = np.searchsorted(source, np.arange(count + 1)).tolist()
    targets, factors = target.tolist(), factor.tolist()

    score = current.tolist()
    out = dropped.tolist()  # dropped, or selected already
    queue = [(-score[box], box) for box in np.unique(source).tolist()]
    heapq.heapify(queue)
    while queue:
        negative, box = heapq.heappop(queue)
        if out[box] or -negative != score[box]:
            continue
        out[box] = True
        for position in range(bounds[box], bounds[box + 1]):
            other = targets[position]
            if out[other]:
                continue
            score[other] *= factors[position]
            if score[other] < skip_box_threshold:
                out[other] = dropped[other] = True
            else:
                heapq.heappush(queue, (-score[other], other))
    kept = np.flatnonzero(~dropped).astype(np.intp)
    return kept, np.asarray(score, np.float64)[kept]
