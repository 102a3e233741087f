"""The status event published for an image or a region (osml-compat section 3)."""

from __future__ import annotations

from dataclasses import dataclass

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

    @property
    def subject(self) -> str:
        """``image`` or ``region``: which of the two topics the event belongs on."""
        return "image" if self.region_id is None else "region"

    def attributes(self) -> dict[str, str]:
        """The String message attributes consumers filter on."""
        found: dict[str, str | None] = {
            "status": self.status.value,
            "job_id": self.job_id,
            "image_id": self.image_id,
            "processing_duration": f"{self.processing_duration_s:.3f}",
            "region_id": self.region_id,
            "total_tile_count": None if self.total_tiles is None else str(self.total_tiles),
            "failed_tile_count": None if self.failed_tiles is None else str(self.failed_tiles),
            "job_name": self.job_name,
        }
        return {name: value for name, value in found.items() if value}
