"""Pixel windows: rectangles of whole pixels in full-image coordinates."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Window:
    """The pixels ``x <= column < x + width`` and ``y <= row < y + height`` of the full image.

    ``x`` is the column offset and ``y`` the row offset of the top-left pixel.
    """

    x: int
    y: int
    width: int
    height: int

    def __post_init__(self) -> None:
        if self.x < 0 or self.y < 0:
            raise ValueError(f"window origin must not be negative, got x={self.x}, y={self.y}")
        if self.width <= 0 or self.height <= 0:
            raise ValueError(f"window size must be positive, got {self.width} x {self.height}")

    @property
    def right(self) -> int:
        """The column just past the window's last column."""
        return self.x + self.width

    @property
    def bottom(self) -> int:
        """The row just past the window's last row."""
        return self.y + self.height

    @property
    def bounds(self) -> tuple[int, int, int, int]:
        """``(min_x, min_y, max_x, max_y)``: the window's outline in continuous pixel space."""
        return (self.x, self.y, self.right, self.bottom)

    @property
    def read_args(self) -> tuple[int, int, int, int]:
        """``(xoff, yoff, xsize, ysize)``, the arguments of GDAL's ``ReadAsArray`` for this window."""
        return (self.x, self.y, self.width, self.height)

    @property
    def key(self) -> str:
        """``"x{x}-y{y}-w{width}-h{height}"``: names the window, the same for equal windows."""
        return f"x{self.x}-y{self.y}-w{self.width}-h{self.height}"

    def contains(self, other: Window) -> bool:
        """Whether every pixel of ``other`` is a pixel of this window."""
        return (
            self.x <= other.x
            and self.y <= other.y
            and other.right <= self.right
            and other.bottom <= self.bottom
        )

    def intersection(self, other: Window) -> Window | None:
        """The pixels both windows share, or None when they share none."""
        x, y = max(self.x, other.x), max(self.y, other.y)
        right, bottom = min(self.right, other.right), min(self.bottom, other.bottom)
        if right <= x or bottom <= y:
            return None
        return Window(x, y, right - x, bottom - y)
