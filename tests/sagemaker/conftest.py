"""Fixtures of the SageMaker tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sagemaker_support import png_tile


@pytest.fixture(scope="session")
def tile() -> Callable[..., bytes]:
    """Encode a random RGB PNG tile: ``tile(size=32, seed=0)``."""
    return png_tile
