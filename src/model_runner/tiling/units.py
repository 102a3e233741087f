"""Regions and tiles: the units of work, with ids that depend only on the image and the window.

Ids (stable across redeliveries of the same message, so repeated work can be recognised):

- region id: ``"{image_id}:x{x}-y{y}-w{width}-h{height}"`` of the region's window, or just the
  window part when there is no image id;
- tile id: the same form built from the tile's window.
"""

from __future__ import annotations

from dataclasses import dataclass

from model_runner.tiling.axis import check_tile_parameters
from model_runner.tiling.window import Window


def unit_id(image_id: str, window: Window) -> str:
    """The id of the region or tile of ``window`` in the image ``image_id`` (see the module docstring)."""
    return f"{image_id}:{window.key}" if image_id else window.key


@dataclass(frozen=True, slots=True)
class Tile:
    """One tile: the window of full-image pixels sent to the model in one call."""

    image_id: str
    window: Window

    @property
    def id(self) -> str:
        """The tile's id (see the module docstring)."""
        return unit_id(self.image_id, self.window)


@dataclass(frozen=True, slots=True)
class Region:
    """One region: a window of the processed ``area`` and what is needed to rebuild its tiles.

    ``area`` is the processed area of the whole image (the image, or the region of interest's
    pixel bounding box clipped to it); tiles are laid over it, not over the region alone, so that
    tiles of neighbouring regions overlap like any other neighbours.
    """

    image_id: str
    window: Window
    area: Window
    tile_size: int
    overlap: int

    def __post_init__(self) -> None:
        check_tile_parameters(self.tile_size, self.overlap)
        if not self.area.contains(self.window):
            raise ValueError(f"region window {self.window.key} is not within the area {self.area.key}")

    @property
    def id(self) -> str:
        """The region's id (see the module docstring)."""
        return unit_id(self.image_id, self.window)
