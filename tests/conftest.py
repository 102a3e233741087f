"""Fixtures shared by every test package."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_IMAGERY = REPO_ROOT.parent / "shared" / "imagery"


@pytest.fixture(scope="session")
def imagery_dir() -> Path:
    """The folder of small real rasters shipped beside the repository (../shared/imagery)."""
    if not (SHARED_IMAGERY / "RGB.byte.tif").exists():
        pytest.fail(f"the shared imagery is missing: expected it at {SHARED_IMAGERY}")
    return SHARED_IMAGERY
