"""Settings: what a request may make the worker read and call."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode

from model_runner.config.fields import SECTION_CONFIG, comma_separated
from model_runner.security.url_rules import UrlRule


class SecuritySettings(BaseSettings):
    """What a request may make the worker read and call."""

    model_config = SECTION_CONFIG

    image_allow_local_paths: bool = Field(
        default=False,
        validation_alias="IMAGE_ALLOW_LOCAL_PATHS",
        description="true: imageUrls may also be absolute paths on the worker's disk (the local "
        "stack and tests); false (production): only s3:// URLs, and https:// ones on IMAGE_HTTPS_HOSTS. "
        "GDAL virtual paths (/vsi...) and other schemes are refused either way.",
    )
    image_https_hosts: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(),
        validation_alias="IMAGE_HTTPS_HOSTS",
        description="Comma-separated hosts (host or host:port) whose https:// imageUrls the worker "
        "may read; empty: none. Link-local and instance-metadata addresses are refused whatever "
        "this lists.",
    )
    image_source_prefixes: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(),
        validation_alias="IMAGE_SOURCE_PREFIXES",
        description="Comma-separated s3://bucket/prefix locations, besides the image's own bucket, "
        "from which a multi-file image (a VRT) may read its source files; empty: its own bucket only.",
    )
    model_endpoint_allowlist: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(),
        validation_alias="MODEL_ENDPOINT_ALLOWLIST",
        description="Comma-separated hosts (host, host:port) or URL prefixes "
        "(https://host[:port]/path) of the HTTP model endpoints requests may name; empty: "
        "HTTP_ENDPOINT requests are refused. A loopback address is reached only through an entry "
        "that names it (127.0.0.1:8080, localhost); link-local and instance-metadata addresses "
        "are refused whatever this lists.",
    )

    @field_validator("image_https_hosts", "image_source_prefixes", "model_endpoint_allowlist", mode="before")
    @classmethod
    def _split_list(cls, value: object) -> object:
        return comma_separated(value)

    @field_validator("model_endpoint_allowlist")
    @classmethod
    def _check_url_rules(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for entry in value:
            UrlRule.parse(entry)
        return value

    @field_validator("image_https_hosts")
    @classmethod
    def _check_hosts(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for entry in value:
            if UrlRule.parse(entry).scheme is not None:
                raise ValueError(f"{entry!r}: expected host or host:port")
        return value

    @field_validator("image_source_prefixes")
    @classmethod
    def _check_prefixes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for entry in value:
            bucket, _, _ = entry.removeprefix("s3://").partition("/")
            if (
                not entry.startswith("s3://")
                or not bucket
                or any(part in (".", "..") for part in entry.split("/")[3:])
            ):
                raise ValueError(f"{entry!r}: expected s3://bucket or s3://bucket/prefix")
        return value
