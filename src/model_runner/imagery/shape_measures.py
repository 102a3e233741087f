"""Measures of many geometries at once, over their positions flattened into one array.

A batch of geometries is kept as ``positions`` (N, 2), cut into blocks (each a Point's position,
a MultiPoint's positions, a line or a polygon ring) by ``block_starts`` (B + 1 offsets), each block
of a :class:`BlockKind`, and the blocks into geometries by ``geometry_blocks`` (G + 1 offsets into
the blocks). Everything is numpy over the whole batch, so thousands of features cost a few calls.

* :func:`centroids`: each geometry's centroid as shapely (the reference) computes it: area-weighted
  over its polygons (holes subtracted), else length-weighted over its lines, else the mean point.
* :func:`lon_lat_bounds`: RFC 7946 bounding boxes (section 5): across the antimeridian the west edge
  is greater than the east; around a pole the box spans every longitude up to that pole.
* :func:`clockwise_rings`: rings that turn clockwise in lon/lat (RFC 7946 wants exterior rings
  counterclockwise and holes clockwise).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from model_runner.features.geometry_skeleton import BlockKind

FloatArray = NDArray[np.float64]
IndexArray = NDArray[np.intp]


def centroids(
    positions: FloatArray, block_starts: IndexArray, kinds: IndexArray, geometry_blocks: IndexArray
) -> FloatArray:
    """(G, 2) centroids of the geometries, in the units of ``positions``."""
    x, y = positions[:, 0], positions[:, 1]
    _, ring, after, has_edge = _edges(block_starts, kinds)
    nx, ny = np.where(has_edge, x[after], x), np.where(has_edge, y[after], y)

    cross = np.where(ring, x * ny - nx * y, 0.0)
    sign = np.where(kinds == BlockKind.HOLE, -1.0, 1.0)
    ring_area = _block_sums(cross, block_starts) / 2
    ring_sign = np.sign(ring_area)
    area = np.abs(ring_area) * sign
    area_x = _block_sums((x + nx) * cross, block_starts) / 6 * ring_sign * sign
    area_y = _block_sums((y + ny) * cross, block_starts) / 6 * ring_sign * sign

    length = np.hypot(nx - x, ny - y)
    line_length = _block_sums(length, block_starts)
    line_x = _block_sums(length * (x + nx) / 2, block_starts)
    line_y = _block_sums(length * (y + ny) / 2, block_starts)

    count = np.diff(block_starts).astype(np.float64)
    point_x, point_y = _block_sums(x, block_starts), _block_sums(y, block_starts)

    def per_geometry(values: FloatArray) -> FloatArray:
        return _block_sums(values, geometry_blocks)

    total_area, total_length = per_geometry(area), per_geometry(line_length)
    with np.errstate(invalid="ignore", divide="ignore"):
        by_area = np.column_stack((per_geometry(area_x), per_geometry(area_y))) / total_area[:, None]
        by_length = np.column_stack((per_geometry(line_x), per_geometry(line_y))) / total_length[:, None]
        by_points = (
            np.column_stack((per_geometry(point_x), per_geometry(point_y))) / per_geometry(count)[:, None]
        )
    scale = np.maximum(1.0, np.abs(positions).max(initial=1.0))
    result: FloatArray = np.where(
        (np.abs(total_area) > 1e-12 * scale**2)[:, None],
        by_area,
        np.where((total_length > 1e-12 * scale)[:, None], by_length, by_points),
    )
    return result


def lon_lat_bounds(
    lon_lat: FloatArray, block_starts: IndexArray, kinds: IndexArray, geometry_blocks: IndexArray
) -> FloatArray:
    """(G, 4) west, south, east, north of each geometry, per RFC 7946 section 5."""
    lon, lat = lon_lat[:, 0], lon_lat[:, 1]
    block_of, ring, after, has_edge = _edges(block_starts, kinds)
    step = np.where(has_edge, lon[np.maximum(after, 0)] - lon, 0.0)
    crossing = np.abs(step) > 180
    geometry_of_block = _block_of_positions(geometry_blocks)
    geometry_of = geometry_of_block[block_of]

    starts = block_starts[geometry_blocks[:-1]]
    south, north = np.minimum.reduceat(lat, starts), np.maximum.reduceat(lat, starts)
    west, east = np.minimum.reduceat(lon, starts), np.maximum.reduceat(lon, starts)
    crosses = np.bincount(geometry_of, weights=crossing, minlength=len(starts)) > 0
    shifted = np.where(lon < 0, lon + 360, lon)
    west = np.where(crosses, _wrap(np.minimum.reduceat(shifted, starts)), west)
    east = np.where(crosses, _wrap(np.maximum.reduceat(shifted, starts)), east)

    winding = _block_sums(np.where(ring, _wrapped(step), 0.0), block_starts)
    around_pole = np.abs(winding) > 180
    polar = np.bincount(geometry_of_block, weights=around_pole, minlength=len(starts)) > 0
    northern = _block_sums(lat, block_starts[geometry_blocks]) >= 0
    west = np.where(polar, -180.0, west)
    east = np.where(polar, 180.0, east)
    north = np.where(polar & northern, 90.0, north)
    south = np.where(polar & ~northern, -90.0, south)
    return np.column_stack((west, south, east, north))


def clockwise_rings(lon_lat: FloatArray, block_starts: IndexArray, kinds: IndexArray) -> NDArray[np.bool_]:
    """(B,) whether each ring block turns clockwise in lon/lat (False for other blocks and for
    rings around a pole, which turn neither way)."""
    lon, lat = lon_lat[:, 0], lon_lat[:, 1]
    ring_block = np.isin(kinds, (BlockKind.EXTERIOR, BlockKind.HOLE))
    block_of, ring, after, _ = _edges(block_starts, kinds)
    step = np.where(after >= 0, _wrapped(lon[np.maximum(after, 0)] - lon), 0.0)
    # Longitudes made continuous along each ring, so an antimeridian crossing does not flip the sign.
    unwrapped = lon[block_starts[block_of]] + _cumulative_within_blocks(step, block_starts) - step
    next_lat = lat[np.maximum(after, 0)]
    twice_area = _block_sums(
        np.where(ring, unwrapped * next_lat - (unwrapped + step) * lat, 0.0), block_starts
    )
    winding = _block_sums(np.where(ring, step, 0.0), block_starts)
    clockwise: NDArray[np.bool_] = ring_block & (twice_area < 0) & (np.abs(winding) <= 180)
    return clockwise


def _edges(
    block_starts: IndexArray, kinds: IndexArray
) -> tuple[IndexArray, NDArray[np.bool_], IndexArray, NDArray[np.bool_]]:
    """Per position: its block, whether that block is a ring, the next position along it (-1:
    none) and whether the two make an edge of a line or ring (a MultiPoint's positions do not)."""
    block_of = _block_of_positions(block_starts)
    ring = np.isin(kinds, (BlockKind.EXTERIOR, BlockKind.HOLE))[block_of]
    after = _next_positions(block_starts, ring)
    return block_of, ring, after, (after >= 0) & (kinds[block_of] != BlockKind.POINTS)


def _block_of_positions(starts: IndexArray) -> IndexArray:
    return np.repeat(np.arange(len(starts) - 1), np.diff(starts)).astype(np.intp)


def _next_positions(starts: IndexArray, ring: NDArray[np.bool_]) -> IndexArray:
    """The next position of each position along its block: rings close on their first position;
    the last position of a line or point block has none (-1)."""
    count = int(starts[-1])
    after = np.arange(1, count + 1, dtype=np.intp)
    last = starts[1:] - 1
    block_starts = starts[:-1]
    after[last] = np.where(ring[last], block_starts, -1)
    return after


def _block_sums(values: FloatArray, starts: IndexArray) -> FloatArray:
    """Sums of ``values`` over each [starts[i], starts[i+1]) (every block is non-empty), each block
    summed on its own: a feature's measures never depend on the batch it was written in."""
    if len(starts) < 2:
        return np.empty(0)
    sums: FloatArray = np.add.reduceat(np.asarray(values, np.float64), starts[:-1])
    return sums


def _cumulative_within_blocks(values: FloatArray, starts: IndexArray) -> FloatArray:
    totals = np.cumsum(values, dtype=np.float64)
    before = np.concatenate(([0.0], totals))[starts[:-1]]
    result: FloatArray = totals - np.repeat(before, np.diff(starts))
    return result


def _wrapped(step: FloatArray) -> FloatArray:
    """Longitude steps the short way round: a step of more than 180 degrees crosses the antimeridian."""
    result: FloatArray = np.where(np.abs(step) > 180, step - 360 * np.sign(step), step)
    return result


def _wrap(lon: FloatArray) -> FloatArray:
    result: FloatArray = np.where(lon > 180, lon - 360, lon)
    return result
