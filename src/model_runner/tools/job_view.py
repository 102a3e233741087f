"""A job as its status tables show it: each image, its regions, their tiles and failure reasons.

``submit --wait`` and ``status`` read the job and region tables (GetItem and Query; a job's images
through the job table's ``job_id`` index) rather than subscribing to the status topics: reading needs
no queue to create, subscribe and remove, and works with read-only permissions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from model_runner.aws.job_table import JobTable
from model_runner.aws.region_table import RegionTable
from model_runner.status import ImageRecord, RegionRecord
from model_runner.tools.aws_access import aws_clients, calling

TABLE_SETTINGS = ("job_table", "region_request_table")


@dataclass(frozen=True)
class ImageView:
    """One image of a job: its row (None until a worker accepted it) and its regions' rows."""

    image_id: str
    image_url: str
    record: ImageRecord | None = None
    regions: Sequence[RegionRecord] = field(default_factory=tuple)

    @property
    def status(self) -> str:
        return self.record.status.value if self.record else "QUEUED"

    @property
    def finished(self) -> bool:
        return self.record is not None and self.record.status.is_terminal

    @property
    def regions_done(self) -> int:
        return len(self.record.regions_done) if self.record else 0

    @property
    def region_count(self) -> int:
        return self.record.region_count if self.record else 0

    @property
    def tiles(self) -> int:
        return sum(region.total_tiles for region in self.regions)

    @property
    def failed_tiles(self) -> int:
        return sum(region.failed_tiles for region in self.regions)

    def as_json(self) -> dict[str, Any]:
        return {
            "image_id": self.image_id,
            "image_url": self.image_url,
            "status": self.status,
            "message": self.record.message if self.record else "",
            "regions_done": self.regions_done,
            "region_count": self.region_count,
            "tiles": self.tiles,
            "failed_tiles": self.failed_tiles,
            "regions": [
                {
                    "region_id": region.region_id,
                    "status": region.status.value,
                    "tiles": region.total_tiles,
                    "failed_tiles": region.failed_tiles,
                    "failures": list(region.failures),
                }
                for region in sorted(self.regions, key=lambda region: region.region_id)
            ],
        }


class JobReader:
    """Reads a job's images and regions from the status tables named by the settings."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        settings, clients = aws_clients(environ, *TABLE_SETTINGS)
        dynamodb = clients.client("dynamodb")
        self._jobs = JobTable(dynamodb, settings.job_table, settings.ddb_ttl_days)
        self._regions = RegionTable(dynamodb, settings.region_request_table, settings.ddb_ttl_days)

    def image(self, image_id: str, image_url: str) -> ImageView:
        """One image as it is now (QUEUED while no worker accepted it)."""
        with calling(f"read image {image_id}"):
            try:
                record = self._jobs.get(image_id)
            except KeyError:
                return ImageView(image_id, image_url)
            return ImageView(image_id, record.image_url, record, self._regions.regions_of(image_id))

    def job(self, job_id: str) -> list[ImageView]:
        """Every image of the job that a worker accepted, in the order they started."""
        with calling(f"find job {job_id}"):
            records = self._jobs.images_of(job_id)
            return [
                ImageView(
                    record.image_id, record.image_url, record, self._regions.regions_of(record.image_id)
                )
                for record in records
            ]
