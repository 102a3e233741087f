"""Settings: where images are read from and how their pixels are fetched."""

from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings

from model_runner.config.fields import SECTION_CONFIG


class ImageReadSettings(BaseSettings):
    """Where images are read from and how their pixels are fetched (GDAL, S3 ranged reads)."""

    model_config = SECTION_CONFIG

    image_s3_endpoint_url: str | None = Field(
        default=None,
        validation_alias="IMAGE_S3_ENDPOINT_URL",
        description="S3 endpoint images (and their VRT sources) are read from, such as an S3 "
        "interface endpoint of the VPC; unset: AWS_ENDPOINT_URL, or AWS's own.",
    )

    image_read_ahead: int = Field(
        default=2,
        ge=0,
        le=8,
        validation_alias="IMAGE_READ_AHEAD",
        description="Bands of a region's tiles read ahead of the tiles being encoded, on reader "
        "threads (IMAGE_READ_BANDS_AT_ONCE); a band is a row of consecutive tiles read at once (one "
        "or two ranged GETs on S3 instead of one or more per tile), so the first-byte latency of "
        "S3 is paid per band and hidden behind the tiles in work. 0 reads each tile on its own "
        "when it is needed.",
    )
    image_read_band_mb: int = Field(
        default=16,
        ge=1,
        le=1024,
        validation_alias="IMAGE_READ_BAND_MB",
        description="Most megabytes of pixels one band read holds (a row of tiles 512 high across a "
        "10240-pixel region of 3 bytes a pixel is 15 MiB). A region holds at most "
        "IMAGE_READ_AHEAD + 1 bands at once (read at once, each down to the image's next block "
        "edge, with the rows the band being cut shares with the one before); GDAL may fetch up "
        "to twice this in one request of a network image.",
    )

    image_read_strips: int = Field(
        default=2,
        ge=1,
        le=8,
        validation_alias="IMAGE_READ_STRIPS",
        description="Column strips a band of an image on S3 or HTTPS is cut into, on the image's "
        "block edges, and read at once, each on a GDAL handle of its own: the requests' latencies "
        "overlap and the bytes arrive over as many connections. 1 reads a band in one piece. Files "
        "on disk are always read in one piece.",
    )

    image_read_bands_at_once: int = Field(
        default=2,
        ge=1,
        le=4,
        validation_alias="IMAGE_READ_BANDS_AT_ONCE",
        description="Bands of an image on S3 or HTTPS read at once (of the IMAGE_READ_AHEAD + 1 "
        "in hand), each on GDAL handles of its own (one per strip): the next band's requests wait "
        "out their first-byte latency while the bytes of the one before arrive. Bands read at "
        "once fetch only the rows the bands before them did not, down to a block edge, so they "
        "share no block. Files on disk, and 1, read one band at a time, each its whole window.",
    )

    @property
    def read_arrangement(self) -> tuple[int, int, int]:
        """(bands read ahead, bytes of a band at most, bands read at once)."""
        return self.image_read_ahead, self.image_read_band_mb * 1024 * 1024, self.image_read_bands_at_once

    @property
    def fetch_bytes(self) -> int:
        """Most bytes of blocks one read of a network image fetches in one multi-range request:
        a band's, with the block rows and columns it reaches into (twice the band at most, with
        blocks no larger than a band's height)."""
        return 2 * self.image_read_band_mb * 1024 * 1024

    @field_validator("image_s3_endpoint_url")
    @classmethod
    def _check_endpoint(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("expected an http(s)://host[:port] URL")
        return value or None
