"""Tile positions along one axis of the processed area.

Along an axis of ``length`` pixels, tiles of ``tile_size`` with at least ``overlap`` pixels shared
between neighbours need ``n = ceil((length - overlap) / (tile_size - overlap))`` tiles. The first
starts at the area's start and the last ends at its end; the others are spread evenly between, so
every step is ``floor`` or ``ceil`` of ``(length - tile_size) / (n - 1)``, never more than
``tile_size - overlap``: no pixel is missed and neighbours overlap by at least ``overlap``. An area
shorter than a tile gets one tile of the area's length.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass


def check_tile_parameters(tile_size: int, overlap: int) -> None:
    """Raise ValueError unless ``tile_size > 0`` and ``0 <= overlap < tile_size``."""
    if tile_size <= 0:
        raise ValueError(f"tile size must be positive, got {tile_size}")
    if not 0 <= overlap < tile_size:
        raise ValueError(f"tile overlap must be in [0, tile size {tile_size}), got {overlap}")


@dataclass(frozen=True, slots=True)
class AxisGrid:
    """``count`` tiles of ``tile`` pixels spread evenly from ``start`` to ``start + length``."""

    start: int
    length: int
    tile: int
    count: int

    @classmethod
    def over(cls, start: int, length: int, tile_size: int, overlap: int) -> AxisGrid:
        """The tiles covering ``length`` pixels from ``start`` (see the module docstring)."""
        check_tile_parameters(tile_size, overlap)
        if length <= 0:
            raise ValueError(f"axis length must be positive, got {length}")
        if length <= tile_size:
            return cls(start, length, length, 1)
        stride = tile_size - overlap
        return cls(start, length, tile_size, -(-(length - overlap) // stride))

    def position(self, index: int) -> int:
        """The first pixel of the tile at ``index`` (0 <= index < count)."""
        if self.count == 1:
            return self.start
        return self.start + index * (self.length - self.tile) // (self.count - 1)

    def first_index_from(self, pixel: int) -> int:
        """The index of the first tile starting at or after ``pixel`` (``count`` if none does)."""
        offset = pixel - self.start
        if offset <= 0:
            return 0
        if self.count == 1:
            return 1
        index = -(-offset * (self.count - 1) // (self.length - self.tile))
        return min(index, self.count)

    def groups(self, cell: int) -> Iterator[range]:
        """The tile indices grouped by the cell of ``cell`` pixels (from ``start``) holding their start.

        Only non-empty groups are yielded, in order; together they hold every index exactly once.
        """
        index = 0
        while index < self.count:
            cell_end = self.start + ((self.position(index) - self.start) // cell + 1) * cell
            stop = self.first_index_from(cell_end)
            yield range(index, stop)
            index = stop

    def indices_within(self, start: int, stop: int) -> range:
        """The indices of the tiles lying wholly within the pixels ``start <= p < stop``."""
        return range(self.first_index_from(start), self.first_index_from(stop - self.tile + 1))
