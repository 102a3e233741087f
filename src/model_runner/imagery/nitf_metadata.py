"""The ``sourceMetadata`` feature property of a NITF image, from its header fields."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime


def nitf_source_metadata(metadata: Mapping[str, str], url: str) -> dict[str, str | None]:
    """Describe a NITF image from GDAL's ``NITF_*`` metadata items, with the reference's keys.

    ``category`` is the image category (ICAT), ``sourceId`` the file title (FTITLE, "" when blank),
    ``sourceDT`` the acquisition time (IDATIM) in ISO-8601 UTC; a field the header lacks (or a
    time it does not fully give) is null. Consumers compare these entries key for key, so no key
    is added or left out.
    """
    return {
        "location": url,
        "format": "NITF",
        "category": metadata.get("NITF_ICAT"),
        "sourceId": metadata.get("NITF_FTITLE"),
        "sourceDT": _iso_datetime(metadata.get("NITF_IDATIM", "")),
    }


def _iso_datetime(idatim: str) -> str | None:
    """CCYYMMDDhhmmss as ``2008-07-06T12:34:56Z``; None when absent or partly unknown ('-')."""
    try:
        moment = datetime.strptime(idatim.strip(), "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return None
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
