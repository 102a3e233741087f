"""Scaling pixels deeper than 8 bits to 8 bits with one rule for every tile of an image.

Baseline JPEG holds 8-bit samples only. A tile of a 16-bit (or float) image is mapped linearly
from the image's value range ``[low, high]`` to ``[0, 255]`` (values outside are clipped). The
range is computed once per image (:meth:`ImageSource.value_range`, GDAL's approximate min/max over
all bands, nodata ignored), so neighbouring tiles keep the same brightness and one value maps to
one 8-bit value everywhere; bands share the range, so colour balance is kept.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class ValueRange:
    """The pixel values that map to 0 and 255 when a tile is scaled to 8 bits."""

    low: float
    high: float

    def __post_init__(self) -> None:
        if not (np.isfinite(self.low) and np.isfinite(self.high) and self.high > self.low):
            raise ValueError(f"a value range needs finite low < high, got [{self.low}, {self.high}]")

    @classmethod
    def of_dtype(cls, dtype: np.dtype[np.generic]) -> ValueRange:
        """The full range of an integer pixel type (e.g. 0..65535 for uint16)."""
        if not np.issubdtype(dtype, np.integer):
            raise ValueError(f"{dtype} pixels have no natural range: compute one from the image")
        info = np.iinfo(dtype)  # type: ignore[type-var]
        return cls(float(info.min), float(info.max))


def scale_to_uint8(array: NDArray[np.generic], value_range: ValueRange) -> NDArray[np.uint8]:
    """Map ``array`` linearly from ``value_range`` to 0..255, rounding and clipping."""
    scale = 255.0 / (value_range.high - value_range.low)
    scaled = (array.astype(np.float32) - np.float32(value_range.low)) * np.float32(scale)
    clipped: NDArray[np.float32] = np.clip(np.rint(scaled), 0, 255)
    return clipped.astype(np.uint8)
