"""Settings: how features are placed on the ground."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings

from model_runner.config.fields import SECTION_CONFIG


class GeolocationSettings(BaseSettings):
    """How features are placed on the ground."""

    model_config = SECTION_CONFIG

    elevation_data_location: str | None = Field(
        default=None,
        validation_alias="ELEVATION_DATA_LOCATION",
        description="Folder of SRTM-style DEM tiles (s3://bucket/prefix or a local path), named "
        "like n47_e034_<version><extension>, as the reference reads them. Set: RPC imagery is "
        "geolocated on this terrain (heights move positions) and every output position takes its "
        "height from it. Unset: RPC imagery at its HEIGHT_OFF, heights 0.0 otherwise.",
    )
    elevation_data_extension: str = Field(
        default=".tif",
        validation_alias="ELEVATION_DATA_EXTENSION",
        description="File extension of the DEM tiles in ELEVATION_DATA_LOCATION.",
    )
    elevation_data_version: str = Field(
        default="1arc_v3",
        validation_alias="ELEVATION_DATA_VERSION",
        description="Version part of the DEM tile names (1arc_v3, 3arc_v2, ...).",
    )
    rfc7946_ring_orientation: bool = Field(
        default=False,
        validation_alias="RFC7946_RING_ORIENTATION",
        description="true: polygon exterior rings turn counterclockwise and holes clockwise in "
        "longitude/latitude (RFC 7946 section 3.1.6). false: rings keep the vertex order of the "
        "model's image geometry, as the reference writes them and as its validator compares them.",
    )
