"""The tiles of one region through the model: read and encode on one thread, call the model N at a time.

Reading and encoding (GDAL) run on the executor's single producer thread, overlapping the model
calls in flight; the pixels come in bands read ahead on one reader thread (``tile_reads``), and
the image serializes its own reads, so the shared dataset is never used concurrently. A call
holds one of N permits only from when its request goes out (for a detector that can tell; else
from its start) until the answer is in: the thread builds the request and then reads the answer
without one, so the next call leaves at once (twice as many threads as permits). The features of several
tiles are written at once (``feature_writer.TileWrites``). Every tile ends as detections or as a
failure with its reason: a tile that fails to read, encode or write is a failed tile too.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, closing
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from model_runner.api import RegionRequest
from model_runner.errors import ImageUnavailableError, ModelRunnerError
from model_runner.features.detection_columns import DetectionRows
from model_runner.features.written_detections import WrittenDetections
from model_runner.handlers.feature_writer import FeatureWriter, TileWrites, tile_detections
from model_runner.handlers.ports import Image
from model_runner.handlers.tile_reads import DEFAULT_READS, BandedReads, ReadArrangement
from model_runner.imagery import content_type, encode_tile
from model_runner.inference.bounded_executor import run_bounded
from model_runner.inference.detectors import Detector, model_call
from model_runner.scheduling import CallPermits, PermitOnTheWire
from model_runner.status import TileBounds
from model_runner.tiling import Tile

LAST_ROUNDS = 4
"""Rounds of calls a region has left when it says it is down to its last tiles: about the time its
worker needs to start the next region (a scheduling cycle, the region's start, its first reads)."""


@dataclass(frozen=True)
class EncodedTile:
    """A tile ready to send: its identity, its origin in the image and its bytes."""

    tile: Tile
    body: bytes


@dataclass
class TileResults:
    """What the tiles of a region gave: the detections of the successful tiles (with their features
    written), in batches of one or more tiles; reasons per failed tile."""

    batches: list[WrittenDetections] = field(default_factory=list)
    succeeded: int = 0
    """Tiles whose detections came back."""
    failures: list[tuple[str, str]] = field(default_factory=list)
    """(tile id, reason) of every failed tile."""
    model_latencies_ms: list[float] = field(default_factory=list)
    """Duration of each successful model call."""
    failed_bounds: list[TileBounds] = field(default_factory=list)
    """Each failed tile as the reference's tables give it: ((row, column), (width, height))."""
    writer: FeatureWriter | None = None
    """What wrote the features (the region writes again with it those Soft-NMS decays)."""

    def fail(self, tile: Tile, reason: str) -> None:
        """Record a failed tile and why."""
        self.failures.append((tile.id, reason))
        window = tile.window
        self.failed_bounds.append(((window.y, window.x), (window.width, window.height)))

    def add(self, batch: WrittenDetections, tiles: int) -> None:
        """Record the detections of ``tiles`` successful tiles."""
        self.batches.append(batch)
        self.succeeded += tiles

    @property
    def total(self) -> int:
        """Tiles processed, successful or not."""
        return self.succeeded + len(self.failures)


def encode_for_model(
    image: Image, tile: Tile, request: RegionRequest, pixels: NDArray[np.generic] | None = None
) -> bytes:
    """The tile's pixels (read now unless given) in the format and compression the request asks for.

    Deeper than 8-bit pixels are scaled by the image's own value range where the format needs it.
    """
    if pixels is None:
        pixels = image.read(tile.window)
    value_range = image.value_range() if image.dtype.itemsize > 1 else None
    return encode_tile(
        pixels,
        request.image_processor_tile_format,
        request.image_processor_tile_compression,
        value_range=value_range,
    )


def run_tiles(
    tiles: Iterable[Tile],
    image: Image,
    request: RegionRequest,
    detector: Detector,
    writer: FeatureWriter,
    *,
    concurrency: int,
    stop: threading.Event | None = None,
    on_failure: Callable[[str, str], None] | None = None,
    on_outcome: Callable[[], None] | None = None,
    reads: ReadArrangement = DEFAULT_READS,
    permit: Callable[[], AbstractContextManager[None]] | None = None,
    on_last_tiles: Callable[[], None] | None = None,
) -> TileResults:
    """Send every tile of ``tiles`` to ``detector``, at most ``concurrency`` calls at once, and
    gather the outcome of each; ``writer`` writes the tiles' features a few tiles at a time as
    their answers come back.

    ``on_outcome`` is called as each tile ends (the worker's measure of progress); ``reads`` says
    how the tiles' pixels are read (see :mod:`model_runner.handlers.tile_reads`); ``permit`` (one
    of a scheduled region's permits, which the worker's previous region may share while its last
    calls finish) is held with the region's own by each call from when its request goes out;
    ``on_last_tiles`` is called once the tiles left are down to ``LAST_ROUNDS`` rounds of
    ``concurrency`` calls (at once for a small region).

    Raises:
        ImageUnavailableError: the image could not be reached for a tile: the tiles still under
            way are waited for, none is started, and the region is left for a retry (its pixels
            are not at fault).
    """
    mime = content_type(request.image_processor_tile_format)
    tiles = list(tiles)
    banded = BandedReads(image, tiles, reads)
    own = CallPermits(concurrency)

    def prepare(tile: Tile) -> EncodedTile:
        return EncodedTile(tile, encode_for_model(image, tile, request, banded.read(tile)))

    permits = (own.call,) if permit is None else (own.call, permit)
    send = model_call(detector)

    def call(encoded: EncodedTile) -> tuple[DetectionRows, float]:
        with PermitOnTheWire(permits) as hold:
            answer = send(encoded.body, mime, hold)
        return tile_detections(answer, encoded.tile), hold.wire_s * 1000

    def sent_in_turn() -> Iterator[Tile]:
        last_tiles = max(0, len(tiles) - LAST_ROUNDS * concurrency)
        for index, tile in enumerate(tiles):
            if index == last_tiles and on_last_tiles is not None:
                on_last_tiles()
            yield tile

    results = TileResults(writer=writer)

    def failed(tile: Tile, error: BaseException | None) -> None:
        reason = f"tile {tile.window.key}: {failure_reason(error)}"
        results.fail(tile, reason)
        if on_failure is not None:
            on_failure(tile.id, reason)

    writes = TileWrites(writer, results.add, failed)
    unreachable: ImageUnavailableError | None = None
    calls = run_bounded(
        sent_in_turn(), prepare, call, concurrency=2 * concurrency, stop=stop, ahead=2 * concurrency
    )
    with banded, closing(calls) as outcomes:
        for outcome in outcomes:
            if on_outcome is not None:
                on_outcome()
            if isinstance(outcome.error, ImageUnavailableError):
                unreachable = outcome.error
                break
            if outcome.result is not None:
                rows, latency_ms = outcome.result
                results.model_latencies_ms.append(latency_ms)
                writes.add(outcome.key, rows)
            else:
                failed(outcome.key, outcome.error)
    writes.flush()
    if unreachable is not None:
        raise unreachable
    return results


def failure_reason(error: BaseException | None) -> str:
    """Our own errors already read as reasons; anything else is named by its type."""
    if isinstance(error, ModelRunnerError):
        return str(error)
    return f"{type(error).__name__}: {error}"
