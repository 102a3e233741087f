"""What the status tables record of an image and a region for the tools that read the reference's
tables: the request's model, tiling and outputs, in the reference's forms."""

from __future__ import annotations

import json

import numpy as np

from model_runner.api import ImageRequest, RegionRequest
from model_runner.handlers.ports import Image
from model_runner.status import ImageDetails, RegionDetails


def image_details(request: ImageRequest, image: Image) -> ImageDetails:
    """The job table's description of one image of ``request``."""
    distillation = request.distillation
    return ImageDetails(
        model_name=request.image_processor.name,
        model_invoke_mode=request.image_processor.type.value,
        image_read_role=request.image_read_role,
        tile_size=request.tile_size,
        tile_overlap=request.overlap,
        outputs=json.dumps(
            [output.model_dump(by_alias=True, exclude_none=True) for output in request.outputs]
        ),
        feature_properties=json.dumps(list(request.feature_properties)),
        feature_distillation_option=None
        if distillation is None
        else json.dumps(distillation.model_dump(mode="json", exclude_none=True)),
        roi_wkt=request.region_of_interest,
        width=image.width,
        height=image.height,
        extents=_extents(image),
    )


def region_details(request: RegionRequest) -> RegionDetails:
    """The region table's description of the region of ``request``."""
    window = request.window
    return RegionDetails(
        job_id=request.job_id,
        region_bounds=((window.y, window.x), (window.width, window.height)),
        tile_size=request.tile_size,
        tile_overlap=request.overlap,
        tile_format=request.image_processor_tile_format.value,
        tile_compression=request.image_processor_tile_compression.value,
        image_read_role=request.image_read_role,
    )


def _extents(image: Image) -> str | None:
    """North, south, east and west of the image's corners, as JSON; None without georeferencing."""
    model = image.sensor_model()
    if model is None:
        return None
    lon, lat = model.pixel_to_world([0, image.width, image.width, 0], [0, 0, image.height, image.height])
    if not (np.isfinite(lon).all() and np.isfinite(lat).all()):
        return None
    return json.dumps(
        {
            "north": lat.max().item(),
            "south": lat.min().item(),
            "east": lon.max().item(),
            "west": lon.min().item(),
        }
    )
