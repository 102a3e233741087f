"""Settings: how images are cut into regions and tiles and how their tiles are processed."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode

from model_runner.config.fields import SECTION_CONFIG


class ProcessingSettings(BaseSettings):
    """How images are cut into regions and tiles and how their tiles are processed."""

    model_config = SECTION_CONFIG

    region_size: Annotated[tuple[int, int], NoDecode] = Field(
        default=(10240, 10240),
        validation_alias="REGION_SIZE",
        description="Region width and height in pixels: '(10240, 10240)', '10240,10240' or "
        "'10240'. Each region is one message on the region queue.",
    )
    tile_workers: int = Field(
        default=4,
        ge=1,
        le=256,
        validation_alias="WORKERS",
        description="Model calls in flight at once per region being processed.",
    )
    throttling_retry_timeout_s: int = Field(
        default=10,
        ge=0,
        validation_alias="THROTTLING_RETRY_TIMEOUT",
        description="Seconds a region or image whose processing failed waits before it is tried "
        "again, doubling with each attempt (at most 900).",
    )

    max_tiles_per_image: int = Field(
        default=250_000,
        ge=1,
        validation_alias="MAX_TILES_PER_IMAGE",
        description="Most tiles one image of a request may be cut into (given its size, region of "
        "interest, tile size and overlap); a request asking for more is FAILED naming "
        "imageProcessorTileSize.",
    )
    min_tile_stride: int = Field(
        default=32,
        ge=1,
        validation_alias="MIN_TILE_STRIDE",
        description="Smallest imageProcessorTileSize minus imageProcessorTileOverlap a request may "
        "ask for; below it the request is FAILED naming imageProcessorTileOverlap (tile 64 with "
        "overlap 63 would read every pixel 4096 times).",
    )

    gdal_cache_mb: int = Field(
        default=64,
        ge=16,
        validation_alias="GDAL_CACHEMAX",
        description="Megabytes of GDAL's block cache; tiles are read once each, so a small cache "
        "keeps the worker's memory bounded whatever the image size.",
    )

    image_connect_timeout_s: int = Field(
        default=5,
        ge=1,
        le=120,
        validation_alias="IMAGE_CONNECT_TIMEOUT",
        description="Seconds GDAL may take to connect to S3 (or HTTP) for one read of an image "
        "(GDAL_HTTP_CONNECTTIMEOUT).",
    )
    image_read_timeout_s: int = Field(
        default=30,
        ge=1,
        le=600,
        validation_alias="IMAGE_READ_TIMEOUT",
        description="Seconds one HTTP request of GDAL reading an image may last (GDAL_HTTP_TIMEOUT). "
        "A read that keeps failing gives the region back to the queue, to be retried.",
    )
    image_max_retries: int = Field(
        default=2,
        ge=0,
        le=10,
        validation_alias="IMAGE_MAX_RETRIES",
        description="Retries of one HTTP request of GDAL after a timeout, a connection error, HTTP "
        "429 or 5xx (GDAL_HTTP_MAX_RETRY).",
    )

    @field_validator("region_size", mode="before")
    @classmethod
    def _parse_region_size(cls, value: object) -> object:
        if isinstance(value, str):
            numbers = re.findall(r"-?\d+", value)
            if len(numbers) not in (1, 2) or re.sub(r"[-\d\s(),]", "", value):
                raise ValueError("expected 'WIDTH,HEIGHT', '(WIDTH, HEIGHT)' or 'SIZE'")
            width, height = int(numbers[0]), int(numbers[-1])
            return (width, height)
        if isinstance(value, int):
            return (value, value)
        return value

    @field_validator("region_size")
    @classmethod
    def _check_region_size(cls, value: tuple[int, int]) -> tuple[int, int]:
        if min(value) < 256:
            raise ValueError("each side must be at least 256 pixels")
        return value
