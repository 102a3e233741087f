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


TileBounds = tuple[tuple[int, int], tuple[int, int]]
"""A tile as the reference's tables and status messages give it: ((row, column), (width, height))."""


@dataclass(frozen=True)
class ImageDetails:
    """What the reference's job table records of an image besides its progress, for the tools that
    read that table (write-only: the worker never reads it back)."""

    model_name: str
    model_invoke_mode: str
    tile_size: int
    tile_overlap: int
    outputs: str
    """The request's outputs, as JSON."""
    feature_properties: str
    """The request's featureProperties, as JSON."""
    width: int
    height: int
    image_read_role: str | None = None
    feature_distillation_option: str | None = None
    """The distillation algorithm and its parameters, as JSON."""
    roi_wkt: str | None = None
    extents: str | None = None
    """The image's {north, south, east, west} in degrees, as JSON (georeferenced images)."""


@dataclass(frozen=True)
class RegionDetails:
    """What the reference's region table records of a region besides its progress (write-only)."""

    job_id: str
    region_bounds: TileBounds
    tile_size: int
    tile_overlap: int
    tile_format: str
    tile_compression: str
    image_read_role: str | None = None
