"""The grid that NMS and Soft-NMS share finds every overlapping pair once, and keeps the work per box low."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from model_runner.features.array_types import FloatArray, IndexArray
from model_runner.features.cell_grid import CellGrid, suppressible
from model_runner.features.overlap_pairs import overlapping_pairs


def all_pairs_above(boxes: FloatArray, classes: IndexArray, min_iou: float) -> set[tuple[int, int]]:
    """Every pair of boxes of one class (>= 0) with an IoU above ``min_iou``, by brute force."""
    found = set()
    for first in range(len(boxes)):
        for second in range(first + 1, len(boxes)):
            a, b = boxes[first], boxes[second]
            if classes[first] != classes[second] or classes[first] < 0:
                continue
            inter = max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
            union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
            if union > 0 and inter / union > min_iou:
                found.add((first, second))
    return found


mixed_boxes = st.lists(
    st.tuples(
        st.integers(0, 400),
        st.integers(0, 400),
        st.sampled_from([0, 1, 3, 8, 20, 150, 400]),  # points, thin, small and large boxes
        st.sampled_from([0, 1, 3, 8, 20, 150, 400]),
        st.integers(-1, 2),
    ),
    max_size=60,
)


@settings(max_examples=150, deadline=None)
@given(mixed_boxes, st.sampled_from([0.0, 0.5]))
def test_grid_finds_each_overlapping_pair_once(
    rows: list[tuple[int, int, int, int, int]], min_iou: float
) -> None:
    table = np.array(rows, np.float64).reshape(-1, 5)
    boxes = np.hstack([table[:, :2], table[:, :2] + table[:, 2:4]])
    classes = table[:, 4].astype(np.intp)
    grid = CellGrid.of(boxes, classes, np.flatnonzero(suppressible(boxes, classes)).astype(np.intp))

    first, second, _ = overlapping_pairs(grid, min_iou)

    pairs = sorted(zip(np.minimum(first, second).tolist(), np.maximum(first, second).tolist(), strict=True))
    assert pairs == sorted(all_pairs_above(boxes, classes, min_iou))


def long_thin_boxes(count: int) -> tuple[FloatArray, IndexArray]:
    """Roads or ships seen edge-on: boxes 200-2,000 pixels long and 2-6 wide, half of them upright."""
    rng = np.random.default_rng(10)
    corners = rng.uniform(0, 16_384, (count, 2))
    long, short = rng.uniform(200, 2_000, count), rng.uniform(2, 6, count)
    upright = rng.random(count) < 0.5
    sizes = np.stack([np.where(upright, short, long), np.where(upright, long, short)], axis=1)
    return np.hstack([corners, corners + sizes]), np.zeros(count, np.intp)


def test_long_thin_boxes_share_cells_with_few_others() -> None:
    """Cells as large as the long sides made ~300 pairs per box to compare here; finer cells a fifth."""
    boxes, classes = long_thin_boxes(20_000)

    grid = CellGrid.of(boxes, classes, np.arange(len(boxes)))

    lengths = grid.runs[1].astype(np.int64)
    assert (lengths * (lengths - 1) // 2).sum() < 100 * len(boxes)
    assert len(grid) < 16 * len(boxes)


def test_a_pile_of_boxes_keeps_cells_the_size_of_its_boxes() -> None:
    """Boxes on one spot share cells at any cell side, so finer cells would only multiply the entries."""
    boxes = np.tile([[100.0, 100.0, 140.0, 130.0]], (5_000, 1))

    grid = CellGrid.of(boxes, np.zeros(5_000, np.intp), np.arange(5_000))

    assert len(grid) <= 4 * 5_000
