"""The RegionRequest message a worker puts on the region queue for any worker to process.

Identifiers are deterministic so that a redelivered message updates the same status rows:
the image id is ``"{job_id}:{image_url}"`` (readable in logs and tables, and unique within a job
because a request's image URLs are distinct), and the region id is
``"{image_id}:{x}:{y}:{width}:{height}"`` (the region's pixel window in the full image).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, computed_field

from model_runner.api.image_request import ImageRequest, ImageUrl
from model_runner.api.job_options import JobOptions
from model_runner.api.wire import WireModel


class PixelWindow(WireModel):
    """A rectangle of full-image pixels: column x, row y of its top-left corner, and its size."""

    x: Annotated[int, Field(ge=0)]
    y: Annotated[int, Field(ge=0)]
    width: Annotated[int, Field(ge=1)]
    height: Annotated[int, Field(ge=1)]


def image_id_for(job_id: str, image_url: str) -> str:
    """The id of one image of a job."""
    return f"{job_id}:{image_url}"


def region_id_for(image_id: str, window: PixelWindow) -> str:
    """The id of one region of an image."""
    return f"{image_id}:{window.x}:{window.y}:{window.width}:{window.height}"


class RegionRequest(JobOptions):
    """One region of one image of a job, with every option of the job needed to process it."""

    image_url: ImageUrl
    window: PixelWindow

    @computed_field  # type: ignore[prop-decorator]
    @property
    def image_id(self) -> str:
        """The id of the image this region belongs to."""
        return image_id_for(self.job_id, self.image_url)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def region_id(self) -> str:
        """The id of this region."""
        return region_id_for(self.image_id, self.window)

    @classmethod
    def for_region(cls, request: ImageRequest, image_url: str, window: PixelWindow) -> RegionRequest:
        """The region request for ``window`` of the image at ``image_url`` of ``request``."""
        options = {name: getattr(request, name) for name in JobOptions.model_fields}
        return cls(**options, image_url=image_url, window=window)
