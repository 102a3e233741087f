"""The tile runner: every tile ends as detections or a failure with its reason, never more calls
in flight than asked, and it stops taking tiles when the worker stops."""

from __future__ import annotations

import threading
import time
from functools import partial

import numpy as np
import pytest
from handler_requests import IMAGE_URL, image_request
from in_flight import InFlight

from model_runner.api import RegionRequest
from model_runner.features.detection_columns import DetectionColumns
from model_runner.features.encoded_features import EncodedFeatures
from model_runner.features.feature_json import UnwritablePropertiesError
from model_runner.handlers import tile_work
from model_runner.handlers.feature_writer import FeatureWriter, tile_detections
from model_runner.handlers.ports import Image
from model_runner.handlers.tile_work import LAST_ROUNDS, run_tiles
from model_runner.scheduling import CallPermits, PermitOnTheWire
from model_runner.testing import FakeContext, ScriptedDetector
from model_runner.testing.models import one_box
from model_runner.tiling import GridTilingStrategy, Tile, Window


def region_of(fakes: FakeContext) -> tuple[RegionRequest, list]:  # type: ignore[type-arg]
    request = image_request()
    (region,) = GridTilingStrategy().regions(Window(0, 0, 600, 500), (1024, 1024), 128, 16, image_id="i")
    region_request = RegionRequest.for_region(request, IMAGE_URL, region)
    return region_request, list(GridTilingStrategy().tiles(region))


def writer(image: Image, request: RegionRequest) -> FeatureWriter:
    return FeatureWriter.of(image, request, 0.0, counterclockwise=False)


def test_every_tile_gives_detections_in_full_image_pixels(fakes: FakeContext) -> None:
    request, tiles = region_of(fakes)
    image = fakes.images.get(IMAGE_URL)

    results = run_tiles(tiles, image, request, fakes.detector, writer(image, request), concurrency=3)

    assert results.succeeded == len(tiles) == 30 and results.failures == []
    boxes = np.concatenate([batch.columns.boxes for batch in results.batches])
    origins = sorted((float(x), float(y)) for x, y in boxes[:, :2].tolist())
    assert origins == sorted((float(tile.window.x), float(tile.window.y)) for tile in tiles)
    assert len(results.model_latencies_ms) == 30


def test_calls_in_flight_never_exceed_the_concurrency(fakes: FakeContext) -> None:
    request, tiles = region_of(fakes)
    in_flight = InFlight()

    def slow(tile: bytes) -> object:
        with in_flight:
            time.sleep(0.005)
        return one_box()(tile)

    image = fakes.images.get(IMAGE_URL)
    run_tiles(tiles, image, request, ScriptedDetector(slow), writer(image, request), concurrency=3)

    assert in_flight.most == 3


def test_a_tile_that_cannot_be_read_is_a_failed_tile_with_its_reason(fakes: FakeContext) -> None:
    request, tiles = region_of(fakes)
    image = fakes.images.get(IMAGE_URL)

    class Unreadable:
        def __getattr__(self, name: str) -> object:
            return getattr(image, name)

        def read(self, window: Window) -> np.ndarray:  # type: ignore[type-arg]
            if window.x == 0 and window.y == 0:
                raise OSError("disk vanished")
            return image.read(window)

    failed: list[tuple[str, str]] = []
    results = run_tiles(
        tiles,
        Unreadable(),  # type: ignore[arg-type]
        request,
        fakes.detector,
        writer(image, request),
        concurrency=2,
        on_failure=lambda tile, reason: failed.append((tile, reason)),
    )

    assert results.succeeded == 29
    assert [reason for _, reason in results.failures] == [reason for _, reason in failed]
    assert failed[0][1] == "tile x0-y0-w128-h128: OSError: disk vanished"


def test_a_set_stop_event_stops_taking_tiles(fakes: FakeContext) -> None:
    request, tiles = region_of(fakes)
    stop = threading.Event()
    stop.set()

    image = fakes.images.get(IMAGE_URL)
    results = run_tiles(
        tiles, image, request, fakes.detector, writer(image, request), concurrency=2, stop=stop
    )

    assert results.total < len(tiles)


class CountingWriter(FeatureWriter):
    """A writer that counts its writes, or fails each with ``error``."""

    def __init__(self, base: FeatureWriter, error: Exception | None = None) -> None:
        super().__init__(base.model, base.context, counterclockwise=False)
        self.writes = 0
        self.error = error

    def write(self, columns: DetectionColumns) -> tuple[EncodedFeatures, np.ndarray]:  # type: ignore[type-arg]
        self.writes += 1
        if self.error is not None:
            raise self.error
        return super().write(columns)


def test_features_of_many_tiles_are_written_at_once(fakes: FakeContext) -> None:
    request, tiles = region_of(fakes)
    image = fakes.images.get(IMAGE_URL)
    counting = CountingWriter(writer(image, request))

    results = run_tiles(tiles, image, request, fakes.detector, counting, concurrency=3)

    assert results.succeeded == 30 and counting.writes < 30
    assert sum(len(batch.features) for batch in results.batches) == 30


def test_tiles_whose_features_cannot_be_written_fail_with_the_reason(fakes: FakeContext) -> None:
    request, tiles = region_of(fakes)
    image = fakes.images.get(IMAGE_URL)
    failing = CountingWriter(writer(image, request), UnwritablePropertiesError("featureProperties: NaN"))
    failed: list[str] = []

    results = run_tiles(
        tiles,
        image,
        request,
        fakes.detector,
        failing,
        concurrency=3,
        on_failure=lambda tile, reason: failed.append(tile),
    )

    assert results.succeeded == 0 and len(results.failures) == 30
    assert sorted(failed) == sorted(tile.id for tile in tiles)
    assert all(reason.endswith(": featureProperties: NaN") for _, reason in results.failures)


def test_a_call_holds_its_unit_only_while_the_model_answers_not_while_its_answer_is_read(
    fakes: FakeContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One unit: the next call leaves while the previous answer is being read."""
    request, tiles = region_of(fakes)
    image = fakes.images.get(IMAGE_URL)
    events: list[tuple[str, float]] = []
    lock = threading.Lock()

    def slow_reading(answer: bytes, tile: Tile) -> DetectionColumns:
        with lock:
            events.append(("read", time.monotonic()))
        time.sleep(0.01)
        with lock:
            events.append(("done", time.monotonic()))
        return tile_detections(answer, tile)

    def answer(tile: bytes) -> object:
        with lock:
            events.append(("call", time.monotonic()))
        return one_box()(tile)

    monkeypatch.setattr(tile_work, "tile_detections", slow_reading)
    results = run_tiles(
        tiles[:6], image, request, ScriptedDetector(answer), writer(image, request), concurrency=1
    )

    assert results.succeeded == 6
    reading, overlapped = 0, 0
    for kind, _ in sorted(events, key=lambda event: event[1]):
        reading += {"read": 1, "done": -1}.get(kind, 0)
        overlapped += kind == "call" and reading > 0
    assert overlapped >= 3  # calls left while earlier answers were read


def test_regions_sharing_permits_stay_within_them_and_the_last_tiles_are_announced(
    fakes: FakeContext,
) -> None:
    request, tiles = region_of(fakes)
    image = fakes.images.get(IMAGE_URL)
    permits = CallPermits(2)
    in_flight, lock = InFlight(), threading.Lock()
    calls = {1: 0, 2: 0}
    announced: dict[int, int] = {}

    def region(order: int) -> None:
        def slow(tile: bytes) -> object:
            with lock:
                calls[order] += 1
            with in_flight:
                time.sleep(0.003)
            return one_box()(tile)

        def last_tiles() -> None:
            announced.setdefault(order, calls[order])

        run_tiles(
            tiles,
            image,
            request,
            ScriptedDetector(slow),
            writer(image, request),
            concurrency=2,
            permit=partial(permits.call, order),
            on_last_tiles=last_tiles,
        )

    regions = [threading.Thread(target=region, args=(order,)) for order in (1, 2)]
    for thread in regions:
        thread.start()
    for thread in regions:
        thread.join(10)

    assert in_flight.most == 2  # two regions of 2 calls each, under 2 permits
    assert calls == {1: len(tiles), 2: len(tiles)}
    # each announced once, while 4 rounds of 2 calls were still to come
    assert sorted(announced) == [1, 2] and max(announced.values()) <= len(tiles) - LAST_ROUNDS * 2


ON_THE_WIRE_S = 0.02
"""Long beside building a request, so that the next call's building falls within it on a loaded
machine too (at 3 ms, half the runs beside two busy cores built too few requests in time)."""


class BuildsThenSends:
    """A detector that can tell when its request goes out: it builds each request (a few
    milliseconds) before sending it."""

    endpoint = "builds-then-sends"

    def __init__(self, on_the_wire: InFlight) -> None:
        self.on_the_wire = on_the_wire
        self.built_while_another_was_on_the_wire = 0

    def detect(self, tile: bytes, content_type: str) -> bytes:
        raise AssertionError("a detector that tells when it sends is called through detect_on_the_wire")

    def detect_on_the_wire(self, tile: bytes, content_type: str, hold: PermitOnTheWire) -> bytes:
        if self.on_the_wire.now:
            self.built_while_another_was_on_the_wire += 1
        time.sleep(0.003)  # building and signing the request: no permit held
        hold.sending()
        with self.on_the_wire:
            time.sleep(ON_THE_WIRE_S)
        return one_box()(tile)


def test_calls_hold_their_permits_only_while_on_the_wire_and_never_more_than_the_units(
    fakes: FakeContext,
) -> None:
    request, tiles = region_of(fakes)
    image = fakes.images.get(IMAGE_URL)
    detector = BuildsThenSends(InFlight())

    results = run_tiles(
        tiles,
        image,
        request,
        detector,
        writer(image, request),
        concurrency=1,
        permit=partial(CallPermits(1).call, 0),
    )

    assert results.succeeded == len(tiles)
    assert detector.on_the_wire.most == 1
    # the next call's request was built while a call was on the wire, instead of after it
    assert detector.built_while_another_was_on_the_wire > len(tiles) // 2
    assert min(results.model_latencies_ms) >= ON_THE_WIRE_S * 1000  # the time on the wire
