"""One region's tiles through an asynchronous endpoint, tracked in the tile ledger.

Each round: submit PENDING tiles while the endpoint has free slots (read and encode, put to the
input prefix, PENDING -> SUBMITTED, InvokeEndpointAsync); apply the notifications waiting; look
for the output or failure object of tiles not heard of for ASYNC_POLL_SECONDS; fail tiles past
their deadline. The region is done when every tile is COMPLETED or FAILED. A region resumed by
another worker (after a crash) only awaits the tiles already SUBMITTED.
"""

from __future__ import annotations

import enum
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping

from model_runner.api import ModelResponseError, RegionRequest
from model_runner.aws.tile_ledger import TileRecord, TileState
from model_runner.handlers.feature_writer import FeatureWriter, TileWrites, tile_detections
from model_runner.handlers.ports import Image
from model_runner.handlers.sagemaker.async_inference import AsyncInference, inference_id, region_key
from model_runner.handlers.tile_work import TileResults, encode_for_model, failure_reason
from model_runner.imagery import content_type
from model_runner.inference.invocation_error import ModelInvocationError
from model_runner.inference.sagemaker_async import AsyncEndpoint, EndpointBusyError
from model_runner.tiling import Tile

logger = logging.getLogger(__name__)

NOTIFICATION_WAIT_S = 1
"""Long-poll of the notification queue per round: how quickly a round notices completions."""
FAILURE_EXCERPT_CHARS = 500


class _Submission(enum.Enum):
    IN_FLIGHT = "in flight"
    BUSY = "the endpoint refused it for now"
    ENDED = "failed, or submitted by another worker"


class AsyncRegionRun:
    """Runs the tiles of one region through one asynchronous endpoint (see the module docstring)."""

    def __init__(
        self,
        inference: AsyncInference,
        endpoint: AsyncEndpoint,
        tiles: Iterable[Tile],
        image: Image,
        request: RegionRequest,
        writer: FeatureWriter,
        *,
        stop: threading.Event,
        on_failure: Callable[[str, str], None],
        on_round: Callable[[], None] = lambda: None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._inference = inference
        self._endpoint = endpoint
        self._tiles = {tile.window.key: tile for tile in tiles}
        self._image = image
        self._request = request
        self._writer = writer
        self._stop = stop
        self._on_failure = on_failure
        self._on_round = on_round
        self._clock = clock
        self.region_key = region_key(request.region_id)
        self._mime = content_type(request.image_processor_tile_format)
        self._held: set[str] = set()
        self._first_try: dict[str, float] = {}
        self._last_look: dict[str, float] = {}

    def run(self) -> TileResults | None:
        """The outcome of every tile, or None when the worker is stopping (the ledger keeps the
        tiles submitted so far for whoever processes the region next)."""
        ledger = self._inference.ledger
        records = ledger.open_region(self.region_key, self._tiles)
        try:
            while True:
                self._release_finished(records)
                if all(record.state.is_terminal for record in records.values()):
                    return self._results(records)
                if self._stop.is_set():
                    return None
                self._submit_pending(records)
                self._look_for_answers(records)
                self._inference.apply_notifications(NOTIFICATION_WAIT_S)
                self._on_round()
                records = {
                    record.tile_id: record
                    for record in ledger.tiles(self.region_key)
                    if record.tile_id in self._tiles
                }
        finally:
            self._inference.slots.give_back(self._endpoint.name, len(self._held))

    def _release_finished(self, records: Mapping[str, TileRecord]) -> None:
        finished = {key for key in self._held if records[key].state.is_terminal}
        self._held -= finished
        self._inference.slots.give_back(self._endpoint.name, len(finished))

    def _submit_pending(self, records: Mapping[str, TileRecord]) -> None:
        now = self._clock()
        deadline_s = self._inference.tile_deadline_s
        for key in sorted(records):
            if records[key].state is not TileState.PENDING:
                continue
            if now - self._first_try.setdefault(key, now) > deadline_s:
                reason = f"{self._endpoint.name} accepted no submission within {deadline_s:g} s"
                self._inference.ledger.fail(self.region_key, key, reason)
                continue
            if not self._inference.slots.try_take(self._endpoint.name):
                return
            outcome = self._submit(key)
            if outcome is _Submission.IN_FLIGHT:
                self._held.add(key)
                continue
            self._inference.slots.give_back(self._endpoint.name)
            if outcome is _Submission.BUSY:
                return

    def _submit(self, key: str) -> _Submission:
        """Submit one tile."""
        ledger, tile = self._inference.ledger, self._tiles[key]
        try:
            body = encode_for_model(self._image, tile, self._request)
        except Exception as error:  # a tile that cannot be read or encoded is a failed tile
            ledger.fail(self.region_key, key, failure_reason(error))
            return _Submission.ENDED
        location = self._inference.objects.put_input(f"{self.region_key}/{key}", body, self._mime)
        if not ledger.submit(self.region_key, key):
            return _Submission.ENDED  # another worker submitted it: it is awaited like the others
        try:
            submitted = self._endpoint.submit(location, inference_id(self.region_key, key), self._mime)
        except EndpointBusyError:
            ledger.unsubmit(self.region_key, key)
            return _Submission.BUSY
        except ModelInvocationError as error:
            ledger.fail(self.region_key, key, str(error))
            return _Submission.ENDED
        ledger.record_locations(self.region_key, key, submitted.output_location, submitted.failure_location)
        return _Submission.IN_FLIGHT

    def _look_for_answers(self, records: Mapping[str, TileRecord]) -> None:
        """The fallback for lost notifications: look for the output and failure objects of tiles
        not heard of for a poll interval, and fail those past their deadline."""
        now = self._clock()
        ledger, objects = self._inference.ledger, self._inference.objects
        for key, record in records.items():
            if record.state is not TileState.SUBMITTED:
                continue
            since = record.submitted_at or now
            if self._in_doubt(key, record, now - since):
                continue
            if record.output_location and now - self._last_look.get(key, since) >= self._inference.poll_s:
                self._last_look[key] = now
                if objects.exists(record.output_location):
                    ledger.complete(self.region_key, key, record.output_location)
                    continue
                if record.failure_location and objects.exists(record.failure_location):
                    excerpt = objects.read(record.failure_location)[:FAILURE_EXCERPT_CHARS]
                    reason = excerpt.decode("utf-8", errors="replace")
                    ledger.fail(self.region_key, key, f"the endpoint reported a failure: {reason}")
                    continue
            if now - since > self._inference.tile_deadline_s:
                reason = f"no answer from {self._endpoint.name} within {self._inference.tile_deadline_s:g} s"
                ledger.fail(self.region_key, key, reason)

    def _in_doubt(self, key: str, record: TileRecord, waited_s: float) -> bool:
        """Whether the tile's submission was left in doubt by another worker (no output location
        long after it was marked submitted), and is now pending again, to be submitted anew; an
        endpoint that did take it then answers twice, and the ledger keeps the first answer."""
        if record.output_location or key in self._held or waited_s <= self._inference.in_doubt_after_s:
            return False
        if not self._inference.ledger.reclaim(self.region_key, key):
            return False
        logger.warning(
            "tile %s of region %s was marked submitted %.0f s ago with no output location: its worker "
            "stopped while submitting it; submitting it again",
            key,
            self._request.region_id,
            waited_s,
        )
        return True

    def _results(self, records: Mapping[str, TileRecord]) -> TileResults:
        results = TileResults(writer=self._writer)
        writes = TileWrites(
            self._writer, results.add, lambda tile, error: self._failed(results, tile, failure_reason(error))
        )
        for key in sorted(records):
            record, tile = records[key], self._tiles[key]
            if record.state is TileState.COMPLETED and record.output_location:
                answer = self._inference.objects.read(record.output_location)
                try:
                    writes.add(tile, tile_detections(answer, tile))
                except ModelResponseError as error:
                    self._failed(results, tile, str(error))
            else:
                self._failed(results, tile, record.reason or "the endpoint's answer cannot be found")
        writes.flush()
        return results

    def _failed(self, results: TileResults, tile: Tile, reason: str) -> None:
        message = f"tile {tile.window.key}: {reason}"
        results.fail(tile, message)
        self._on_failure(tile.id, message)
