"""The RegionRequest message a worker puts on the region queue for any worker to process.

Identifiers are deterministic so that a redelivered message updates the same status rows: the
image id is ``"{job_id}:{image_url}"`` (see :mod:`model_runner.api.ids`), and the region id is the
tiling's id of the region's window (:func:`model_runner.tiling.unit_id`). A region message carries
the processed ``area`` as well as its ``window``, so that any worker rebuilds exactly the tiles the
image's grid gives it.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, computed_field

from model_runner.api.ids import image_id_for
from model_runner.api.image_request import ImageRequest, ImageUrl
from model_runner.api.job_options import JobOptions
from model_runner.api.wire import WireModel
from model_runner.tiling import Region, Window


class PixelWindow(WireModel):
    """A rectangle of full-image pixels: column x, row y of its top-left corner, and its size."""

    x: Annotated[int, Field(ge=0)]
    y: Annotated[int, Field(ge=0)]
    width: Annotated[int, Field(ge=1)]
    height: Annotated[int, Field(ge=1)]

    @classmethod
    def of(cls, window: Window) -> PixelWindow:
        """The wire form of a tiling window."""
        return cls(x=window.x, y=window.y, width=window.width, height=window.height)

    def to_window(self) -> Window:
        """The tiling window this wire window describes."""
        return Window(self.x, self.y, self.width, self.height)


class RegionRequest(JobOptions):
    """One region of one image of a job, with every option of the job needed to process it."""

    job_name: str | None = None
    request_type: str | None = None
    """The handler pair that processed the image, so every region is processed by the same one."""
    image_url: ImageUrl
    window: PixelWindow
    area: PixelWindow
    """The processed part of the image (all of it, or the region of interest's bounds)."""

    @computed_field  # type: ignore[prop-decorator]
    @property
    def image_id(self) -> str:
        """The id of the image this region belongs to."""
        return image_id_for(self.job_id, self.image_url)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def region_id(self) -> str:
        """The id of this region."""
        return self.region().id

    def region(self) -> Region:
        """The tiling region this request covers."""
        return Region(
            image_id=self.image_id,
            window=self.window.to_window(),
            area=self.area.to_window(),
            tile_size=self.tile_size,
            overlap=self.overlap,
        )

    @classmethod
    def for_region(
        cls, request: ImageRequest, image_url: str, region: Region, request_type: str | None = None
    ) -> RegionRequest:
        """The region request for ``region`` of the image at ``image_url`` of ``request``."""
        options = {name: getattr(request, name) for name in JobOptions.model_fields}
        return cls(
            **options,
            job_name=request.job_name,
            request_type=request_type,
            image_url=image_url,
            window=PixelWindow.of(region.window),
            area=PixelWindow.of(region.area),
        )
