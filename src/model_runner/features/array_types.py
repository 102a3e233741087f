"""The numpy array types of the features package."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
"""Coordinates, scores and IoU values."""

IndexArray = npt.NDArray[np.intp]
"""Positions into a batch, and class indices (-1: the detection has no class)."""
