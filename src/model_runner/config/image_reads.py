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

    @field_validator("image_s3_endpoint_url")
    @classmethod
    def _check_endpoint(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("expected an http(s)://host[:port] URL")
        return value or None
