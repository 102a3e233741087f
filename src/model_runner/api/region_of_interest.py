"""The regionOfInterest key: a WKT polygon or multipolygon in WGS84 longitude/latitude."""

from __future__ import annotations

from typing import Annotated, Any

import shapely
from pydantic import AfterValidator
from shapely.errors import ShapelyError
from shapely.validation import explain_validity

AREAL_TYPES = ("Polygon", "MultiPolygon")


def parse_region_of_interest(wkt: str) -> Any:
    """The shapely geometry of ``wkt``, checked to be a valid non-empty lon/lat (multi)polygon.

    Raises:
        ValueError: why the text cannot be used as a region of interest.
    """
    try:
        geometry = shapely.from_wkt(wkt)
    except ShapelyError as error:
        raise ValueError(f"not readable WKT ({error})") from None
    if geometry.geom_type not in AREAL_TYPES:
        raise ValueError(f"must be a Polygon or MultiPolygon, not a {geometry.geom_type}")
    if geometry.is_empty:
        raise ValueError("must not be empty")
    if not geometry.is_valid:
        raise ValueError(f"is not a valid polygon: {explain_validity(geometry)}")
    if geometry.area <= 0:
        raise ValueError("must enclose an area")
    min_lon, min_lat, max_lon, max_lat = geometry.bounds
    if min_lon < -180 or max_lon > 180 or min_lat < -90 or max_lat > 90:
        raise ValueError(
            "must be in lon/lat degrees: longitude within [-180, 180], latitude within [-90, 90]"
        )
    return geometry


def _check(wkt: str) -> str:
    parse_region_of_interest(wkt)
    return wkt


RegionOfInterestWkt = Annotated[str, AfterValidator(_check)]
"""WKT text of a region of interest, kept as given once checked."""
