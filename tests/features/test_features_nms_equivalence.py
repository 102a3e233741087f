"""The grid-indexed NMS and Soft-NMS agree with naive all-pairs implementations."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model_runner.features import nms, soft_nms
from model_runner.features.array_types import FloatArray, IndexArray


def pairwise_iou(box: FloatArray, others: FloatArray) -> FloatArray:
    inter_w = np.clip(np.minimum(box[2], others[:, 2]) - np.maximum(box[0], others[:, 0]), 0, None)
    inter_h = np.clip(np.minimum(box[3], others[:, 3]) - np.maximum(box[1], others[:, 1]), 0, None)
    inter = inter_w * inter_h
    union = (box[2] - box[0]) * (box[3] - box[1]) + (others[:, 2] - others[:, 0]) * (
        others[:, 3] - others[:, 1]
    )
    union = union - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def naive_nms(boxes: FloatArray, scores: FloatArray, classes: IndexArray, threshold: float) -> list[int]:
    kept = []
    for label in np.unique(classes):
        members = np.flatnonzero(classes == label)
        if label < 0:
            kept.extend(members.tolist())
            continue
        order = members[np.argsort(-scores[members], kind="stable")]
        suppressed = np.zeros(len(order), dtype=bool)
        for position, box in enumerate(order):
            if suppressed[position]:
                continue
            kept.append(int(box))
            later = order[position + 1 :]
            suppressed[position + 1 :] |= pairwise_iou(boxes[box], boxes[later]) > threshold
    return sorted(kept)


def naive_soft_nms(
    boxes: FloatArray, scores: FloatArray, classes: IndexArray, sigma: float, threshold: float
) -> dict[int, float]:
    kept: dict[int, float] = {}
    current = scores.astype(np.float64)
    for label in np.unique(classes):
        remaining = np.flatnonzero(classes == label)
        if label >= 0:
            remaining = remaining[current[remaining] >= threshold]
        while remaining.size:
            best = remaining[int(np.argmax(current[remaining]))] if label >= 0 else remaining[0]
            kept[int(best)] = float(current[best])
            remaining = remaining[remaining != best]
            if label >= 0:
                current[remaining] *= np.exp(-(pairwise_iou(boxes[best], boxes[remaining]) ** 2) / sigma)
                remaining = remaining[current[remaining] >= threshold]
    return kept


def clustered_boxes(seed: int, count: int) -> tuple[FloatArray, FloatArray, IndexArray]:
    """Boxes that cluster like duplicate detections from overlapping tiles, with tied scores."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0, 3000, size=(count // 3, 2))
    picks = rng.integers(0, len(centres), count)
    sizes = rng.uniform(5, 60, size=(count, 2))
    sizes[rng.random(count) < 0.01] *= 20  # a few very large boxes
    sizes[rng.random(count) < 0.01] = 0  # and a few points
    centre = centres[picks] + rng.normal(0, 3, size=(count, 2))
    boxes = np.hstack([centre - sizes / 2, centre + sizes / 2])
    scores = np.round(rng.uniform(0, 1, count), 2)
    classes = rng.integers(-1, 3, count).astype(np.intp)
    return boxes, scores, classes


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("threshold", [0.0, 0.3, 0.75])
def test_nms_matches_naive_on_thousands_of_boxes(seed: int, threshold: float) -> None:
    boxes, scores, classes = clustered_boxes(seed, 4000)

    kept = nms(boxes, scores, classes, threshold)

    assert kept.tolist() == naive_nms(boxes, scores, classes, threshold)
    assert 0 < len(kept) < len(boxes)


@pytest.mark.parametrize("seed", [4, 5])
@pytest.mark.parametrize(("sigma", "threshold"), [(0.1, 0.0001), (0.5, 0.3)])
def test_soft_nms_matches_naive_on_thousands_of_boxes(seed: int, sigma: float, threshold: float) -> None:
    boxes, scores, classes = clustered_boxes(seed, 3000)

    kept, decayed = soft_nms(boxes, scores, classes, sigma, threshold)
    expected = naive_soft_nms(boxes, scores, classes, sigma, threshold)

    assert kept.tolist() == sorted(expected)
    assert decayed.tolist() == pytest.approx([expected[index] for index in kept.tolist()], rel=1e-12)
    assert np.any(decayed < scores[kept]), "some scores were decayed"


small_boxes = st.lists(
    st.tuples(
        st.integers(0, 12),
        st.integers(0, 12),
        st.integers(0, 8),
        st.integers(0, 8),
        st.sampled_from([0.2, 0.5, 0.9]),
        st.integers(-1, 1),
    ),
    max_size=25,
)


def as_arrays(rows: list[tuple[int, int, int, int, float, int]]) -> tuple[FloatArray, FloatArray, IndexArray]:
    table = np.array(rows, np.float64).reshape(-1, 6)
    boxes = np.hstack([table[:, :2], table[:, :2] + table[:, 2:4]])
    return boxes, table[:, 4].copy(), table[:, 5].astype(np.intp)


@settings(max_examples=150, deadline=None)
@given(small_boxes, st.sampled_from([0.0, 0.25, 0.5, 0.75]))
def test_nms_matches_naive_on_small_integer_boxes(
    rows: list[tuple[int, int, int, int, float, int]], threshold: float
) -> None:
    boxes, scores, classes = as_arrays(rows)

    assert nms(boxes, scores, classes, threshold).tolist() == naive_nms(boxes, scores, classes, threshold)


@settings(max_examples=150, deadline=None)
@given(small_boxes)
def test_soft_nms_matches_naive_on_small_integer_boxes(
    rows: list[tuple[int, int, int, int, float, int]],
) -> None:
    boxes, scores, classes = as_arrays(rows)

    kept, decayed = soft_nms(boxes, scores, classes, 0.3, 0.1)
    expected = naive_soft_nms(boxes, scores, classes, 0.3, 0.1)

    assert kept.tolist() == sorted(expected)
    assert decayed.tolist() == pytest.approx([expected[index] for index in kept.tolist()], rel=1e-12)


def test_nms_matches_naive_when_sizes_vary_widely_and_pairs_come_in_small_chunks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("model_runner.features.overlap_pairs._PAIRS_PER_CHUNK", 50)
    rng = np.random.default_rng(11)
    corners = rng.uniform(0, 2000, size=(1500, 2))
    sizes = np.where(
        rng.random((1500, 1)) < 0.08, rng.uniform(300, 900, (1500, 2)), rng.uniform(5, 30, (1500, 2))
    )
    boxes = np.hstack([corners, corners + sizes])
    scores = rng.uniform(0, 1, 1500)
    classes = rng.integers(0, 2, 1500).astype(np.intp)

    kept = nms(boxes, scores, classes, 0.1)

    assert kept.tolist() == naive_nms(boxes, scores, classes, 0.1)
    assert 0 < len(kept) < len(boxes)


piles = st.lists(
    st.tuples(
        st.integers(0, 60),  # corner x
        st.integers(0, 60),  # corner y
        st.integers(1, 40),  # width
        st.integers(1, 40),  # height
        st.integers(1, 150),  # copies
        st.sampled_from([0.0, 0.5, 4.0]),  # how far copies stray, in pixels
        st.integers(-1, 1),  # class
    ),
    min_size=1,
    max_size=5,
)


def piled_boxes(
    rows: list[tuple[int, int, int, int, int, float, int]], seed: int
) -> tuple[FloatArray, FloatArray, IndexArray]:
    """Piles of copies of a box, as a model without its own NMS returns them, with many tied scores."""
    rng = np.random.default_rng(seed)
    parts = []
    for x, y, width, height, copies, stray, label in rows:
        box = np.array([x, y, x + width, y + height], np.float64)
        moved = box + rng.normal(0, stray, (copies, 4)) if stray else np.tile(box, (copies, 1))
        moved[:, 2:] = np.maximum(moved[:, 2:], moved[:, :2])  # a stray copy may collapse to a line
        scores = np.where(rng.random(copies) < 0.5, rng.choice([0.3, 0.6, 0.9], copies), rng.random(copies))
        parts.append((moved, scores, np.full(copies, label, np.intp)))
    boxes, scores, classes = (np.concatenate(part) for part in zip(*parts, strict=True))
    order = rng.permutation(len(scores))
    return boxes[order], scores[order], classes[order]


PATHS = ["as chosen", "rounds", "crowded cells"]
"""How crowded cells are handled: as the algorithms choose, or each way forced on every cell."""


@contextmanager
def path_forced(path: str) -> Iterator[None]:
    """Force NMS to thin every cell in rounds, or both algorithms to search every cell in bulk."""
    # The package's functions hide their modules' names, so patch the modules themselves.
    nms_module = importlib.import_module("model_runner.features.nms")
    with pytest.MonkeyPatch.context() as patch:
        if path == "rounds":
            patch.setattr(nms_module, "_PAIRS_PER_ENTRY", 0)
            patch.setattr(nms_module, "_ROUND_PAYOFF", 0)
        elif path == "crowded cells":
            patch.setattr(nms_module, "_PAIRS_PER_ENTRY", 10**9)
            patch.setattr("model_runner.features.crowded_cells.CROWDED_CELL", 1)
        yield


@settings(max_examples=120, deadline=None)
@given(piles, st.integers(0, 2**32), st.sampled_from([0.0, 0.3, 0.75, 0.95]), st.sampled_from(PATHS))
def test_nms_matches_naive_on_piles_of_boxes(
    rows: list[tuple[int, int, int, int, int, float, int]], seed: int, threshold: float, path: str
) -> None:
    boxes, scores, classes = piled_boxes(rows, seed)

    with path_forced(path):
        kept = nms(boxes, scores, classes, threshold)

    assert kept.tolist() == naive_nms(boxes, scores, classes, threshold)


@settings(max_examples=120, deadline=None)
@given(
    piles,
    st.integers(0, 2**32),
    st.sampled_from([(0.1, 0.0001), (0.5, 0.0001), (0.3, 0.1), (0.5, 0.0)]),
    st.sampled_from(PATHS),
)
def test_soft_nms_matches_naive_on_piles_of_boxes(
    rows: list[tuple[int, int, int, int, int, float, int]],
    seed: int,
    parameters: tuple[float, float],
    path: str,
) -> None:
    boxes, scores, classes = piled_boxes(rows, seed)
    sigma, threshold = parameters

    with path_forced(path):
        kept, decayed = soft_nms(boxes, scores, classes, sigma, threshold)
    expected = naive_soft_nms(boxes, scores, classes, sigma, threshold)

    assert kept.tolist() == sorted(expected)
    assert decayed.tolist() == pytest.approx([expected[index] for index in kept.tolist()], rel=1e-12)
