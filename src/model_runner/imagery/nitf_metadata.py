"""The ``sourceMetadata`` feature property of a NITF image, from its header fields."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime


def nitf_source_metadata(metadata: Mapping[str, str], url: str) -> dict[str, str]:
    """Describe a NITF image from GDAL's ``NITF_*`` metadata items; blank fields are left out.

    ``sourceId`` is the file title (FTITLE), or the image title (IID2) when that is blank;
    ``sensorName`` is the image source (ISORCE); ``category`` the image category (ICAT);
    ``sourceDT`` the acquisition time (IDATIM) in ISO-8601 UTC.
    """
    fields = {
        "location": url,
        "format": "NITF",
        "category": _field(metadata, "NITF_ICAT"),
        "sourceId": _field(metadata, "NITF_FTITLE") or _field(metadata, "NITF_IID2"),
        "sensorName": _field(metadata, "NITF_ISORCE"),
        "sourceDT": _iso_datetime(_field(metadata, "NITF_IDATIM")),
    }
    return {key: value for key, value in fields.items() if value}


def _field(metadata: Mapping[str, str], key: str) -> str:
    return metadata.get(key, "").strip()


def _iso_datetime(idatim: str) -> str:
    """CCYYMMDDhhmmss as ``2008-07-06T12:34:56Z``; empty when absent or partly unknown ('-')."""
    try:
        moment = datetime.strptime(idatim, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return ""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
