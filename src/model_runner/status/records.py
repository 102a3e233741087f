"""What the job and region status stores know of an image and of a region.

These are the domain's view of a status row, whatever store keeps it (DynamoDB in production, an
in-memory fake in unit tests), so handlers reason about records, never about tables.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from model_runner.status.rules import Status


@dataclass(frozen=True)
class ImageRecord:
    """One image of a job: its regions' outcomes so far, and its terminal status once it has one."""

    image_id: str
    job_id: str
    job_name: str | None
    image_url: str
    status: Status
    region_count: int
    regions_done: frozenset[str]
    region_outcomes: Mapping[str, Status]
    started_at: float
    message: str = ""
    request_digest: str = ""
    """Identifies the request that created the row ('' when unknown)."""

    @property
    def complete(self) -> bool:
        """Every region of the image has an outcome."""
        return len(self.regions_done) >= self.region_count


@dataclass(frozen=True)
class RegionRecord:
    """One region of an image: in progress, or its terminal status with the failures it met."""

    image_id: str
    region_id: str
    status: Status
    started_at: float
    total_tiles: int = 0
    failed_tiles: int = 0
    failures: tuple[str, ...] = ()


MAX_FAILURES_KEPT = 20
"""Tile failure reasons a region record keeps (the counts are always complete)."""
