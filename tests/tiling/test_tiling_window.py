"""Pixel windows: validation and the helpers other modules read images and clip areas with."""

from __future__ import annotations

import pytest

from model_runner.tiling import Window


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((-1, 0, 10, 10), "origin"),
        ((0, -5, 10, 10), "origin"),
        ((0, 0, 0, 10), "size"),
        ((0, 0, 10, -3), "size"),
    ],
)
def test_invalid_windows_are_rejected_with_the_reason(args: tuple[int, int, int, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Window(*args)


def test_edges_bounds_and_gdal_read_arguments() -> None:
    window = Window(x=100, y=20, width=512, height=256)
    assert (window.right, window.bottom) == (612, 276)
    assert window.bounds == (100, 20, 612, 276)
    assert window.read_args == (100, 20, 512, 256)
    assert window.key == "x100-y20-w512-h256"


def test_contains_is_true_only_for_windows_wholly_inside() -> None:
    outer = Window(10, 10, 100, 100)
    assert outer.contains(Window(10, 10, 100, 100))
    assert outer.contains(Window(50, 60, 10, 10))
    assert not outer.contains(Window(9, 10, 10, 10))
    assert not outer.contains(Window(100, 100, 11, 10))


def test_intersection_is_the_shared_pixels_or_none() -> None:
    window = Window(0, 0, 100, 50)
    assert window.intersection(Window(80, 40, 100, 100)) == Window(80, 40, 20, 10)
    assert window.intersection(Window(100, 0, 10, 10)) is None
    assert window.intersection(Window(0, 50, 10, 10)) is None
