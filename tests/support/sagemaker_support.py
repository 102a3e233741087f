"""Helpers of the SageMaker tests: small encoded tiles and boto3 clients of the emulator."""

from __future__ import annotations

import json
import uuid
from typing import Any

import boto3
import numpy as np
import urllib3
from botocore.config import Config
from osgeo import gdal

from model_runner.local.sagemaker import STATS_PATH

gdal.UseExceptions()


def png_tile(size: int = 32, seed: int = 0) -> bytes:
    """A ``size`` x ``size`` RGB PNG of random pixels."""
    pixels = np.random.default_rng(seed).integers(0, 256, size=(3, size, size), dtype=np.uint8)
    source = gdal.GetDriverByName("MEM").Create("", size, size, 3, gdal.GDT_Byte)
    for index in range(3):
        source.GetRasterBand(index + 1).WriteArray(pixels[index])
    path = f"/vsimem/sagemaker-tile-{uuid.uuid4().hex}.png"
    gdal.GetDriverByName("PNG").CreateCopy(path, source)
    try:
        handle = gdal.VSIFOpenL(path, "rb")
        data = bytes(gdal.VSIFReadL(1, gdal.VSIStatL(path).size, handle))
        gdal.VSIFCloseL(handle)
        return data
    finally:
        gdal.Unlink(path)


def runtime_client(url: str, *, attempts: int = 1) -> Any:
    """A sagemaker-runtime client of the emulator at ``url``, without botocore's retries by default."""
    return boto3.client(
        "sagemaker-runtime",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"mode": "standard", "total_max_attempts": attempts}, max_pool_connections=16),
    )


def emulator_stats(url: str) -> dict[str, Any]:
    """What the emulator at ``url`` counted, per endpoint."""
    stats: dict[str, Any] = json.loads(urllib3.request("GET", url + STATS_PATH).data)
    return stats
