"""The status event published for an image or a region (osml-compat section 3).

Its message attributes are the reference's, with its names and units, so existing subscriptions
and consumers keep working: ``status``, ``job_id``, ``image_id``, ``processing_duration`` (whole
seconds for an image, milliseconds for a region, as the reference computes them), ``image_status``
beside ``status`` on image events, and on region events ``region_id`` and, when tiles failed,
``failed_tiles`` (each failed tile's ((row, column), (width, height)), written as the reference
writes them). This worker adds ``total_tile_count``, ``failed_tile_count`` and ``job_name``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from model_runner.status.records import TileBounds
from model_runner.status.rules import Status


@dataclass(frozen=True)
class StatusEvent:
    """One status change of an image (``region_id`` None) or of one of its regions."""

    status: Status
    job_id: str
    image_id: str
    processing_duration_s: float
    message: str
    region_id: str | None = None
    total_tiles: int | None = None
    failed_tiles: int | None = None
    job_name: str | None = None
    failed_tile_bounds: Sequence[TileBounds] = ()

    @property
    def subject(self) -> str:
        """``image`` or ``region``: which of the two topics the event belongs on."""
        return "image" if self.region_id is None else "region"

    def attributes(self) -> dict[str, str]:
        """The String message attributes consumers filter on."""
        is_image = self.region_id is None
        duration = self.processing_duration_s if is_image else self.processing_duration_s * 1000
        found: dict[str, str | None] = {
            "status": self.status.value,
            "image_status": self.status.value if is_image else None,
            "job_id": self.job_id,
            "image_id": self.image_id,
            "processing_duration": str(int(duration)),
            "region_id": self.region_id,
            "failed_tiles": _failed_tiles_text(self.failed_tile_bounds) if self.failed_tile_bounds else None,
            "total_tile_count": None if self.total_tiles is None else str(self.total_tiles),
            "failed_tile_count": None if self.failed_tiles is None else str(self.failed_tiles),
            "job_name": self.job_name,
        }
        return {name: value for name, value in found.items() if value}


def _failed_tiles_text(bounds: Sequence[TileBounds]) -> str:
    """The reference's text: ``[{'1': [[row, column], [width, height]]}, {'2': ...}]``."""
    return str([{str(number): [list(pair) for pair in tile]} for number, tile in enumerate(bounds, 1)])
