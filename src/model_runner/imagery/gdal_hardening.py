"""GDAL pinned to what the worker needs: a few image drivers and no side doors.

Every image is opened with an explicit driver allow-list (:data:`IMAGE_DRIVERS`), and every other
driver but the two the worker itself uses is deregistered, so that a source file named inside a
VRT cannot be opened by a driver that fetches URLs or reads further files (WMS, STAC, the HTTP
driver...). The options below are set process-wide, overriding the environment:

=================================  =======  ==================================================
GDAL_VRT_ENABLE_PYTHON             NO       no Python pixel functions in VRTs
GDAL_VRT_ENABLE_RAWRASTERBAND      NO       no raw bands (honoured by GDAL >= 3.12; before,
                                            the worker's VRT check is the only line)
GDAL_DISABLE_READDIR_ON_OPEN       EMPTY_DIR  no directory listing, no sidecar probing
GDAL_PAM_ENABLED                   NO       no .aux.xml read or written
AWS_NO_SIGN_REQUEST                YES      /vsis3/ paths not checked and scoped by the worker
                                            are read anonymously, never with its own role
GDAL_HTTP_NETRC                    NO       no ~/.netrc credentials sent anywhere
CPL_CURL_VERBOSE                   NO       no HTTP headers (signatures) on standard error
=================================  =======  ==================================================

GDAL 3.6 has no switch that turns /vsicurl/ off but leaves /vsis3/ on: the worker hands GDAL only
paths it has checked (:mod:`model_runner.imagery.file_references`), so /vsicurl/ is reached only
for https:// images on hosts the operator allow-listed.
"""

from __future__ import annotations

import functools
import threading

from osgeo import gdal

IMAGE_DRIVERS = ("GTiff", "NITF", "JPEG", "PNG", "VRT")
"""The formats an image (or a VRT's source) may have."""
INTERNAL_DRIVERS = ("MEM", "JP2OpenJPEG")
"""Drivers the worker uses itself: in-memory tiles, and JPEG 2000 (NITF C8 segments and tiles)."""

PINNED_OPTIONS = {
    "GDAL_VRT_ENABLE_PYTHON": "NO",
    "GDAL_VRT_ENABLE_RAWRASTERBAND": "NO",
    "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",
    "GDAL_PAM_ENABLED": "NO",
    "AWS_NO_SIGN_REQUEST": "YES",
    "GDAL_HTTP_NETRC": "NO",
    "CPL_CURL_VERBOSE": "NO",
}

_lock = threading.Lock()


def harden_gdal() -> None:
    """Pin :data:`PINNED_OPTIONS` and deregister every driver the worker does not use (once)."""
    with _lock:
        _harden_once()


@functools.cache
def _harden_once() -> None:
    for key, value in PINNED_OPTIONS.items():
        gdal.SetConfigOption(key, value)
    kept = {*IMAGE_DRIVERS, *INTERNAL_DRIVERS}
    drivers = [gdal.GetDriver(index) for index in range(gdal.GetDriverCount())]
    for driver in drivers:
        if driver.ShortName not in kept:
            driver.Deregister()
