"""In-memory job store, region store, region queue, workspace and event recorder.

Each method takes one lock for its whole read-and-write, which is what a DynamoDB conditional
write guarantees: two workers racing on the same row see exactly one winner.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from model_runner.events import LifecycleEvent
from model_runner.status import ImageDetails, ImageRecord, RegionDetails, RegionRecord, Status, TileBounds
from model_runner.status.records import MAX_FAILURES_KEPT


class InMemoryJobStore:
    """The job table's promises, in memory."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.rows: dict[str, ImageRecord] = {}
        self.claims: dict[str, tuple[str, float]] = {}
        """image id -> (claimant, expiry) of the completion claim."""
        self._terminal: set[str] = set()
        self._clock = clock
        self._lock = threading.Lock()

    def start_image(
        self,
        *,
        image_id: str,
        job_id: str,
        job_name: str | None,
        image_url: str,
        region_count: int,
        details: ImageDetails | None = None,
        request_digest: str = "",
    ) -> tuple[ImageRecord, bool]:
        with self._lock:
            if image_id in self.rows:
                return self.rows[image_id], False
            record = ImageRecord(
                image_id=image_id,
                job_id=job_id,
                job_name=job_name,
                image_url=image_url,
                status=Status.STARTED,
                region_count=region_count,
                regions_done=frozenset(),
                region_outcomes={},
                started_at=self._clock(),
                request_digest=request_digest,
            )
            self.rows[image_id] = record
            return record, True

    def record_region(
        self, image_id: str, region_id: str, outcome: Status, *, claimant: str, lease_s: float
    ) -> tuple[ImageRecord, bool]:
        with self._lock:
            record = self.rows[image_id]
            if region_id in record.regions_done:
                return record, False
            self.claims[image_id] = (claimant, self._clock() + lease_s)
            status = record.status if image_id in self._terminal else Status.IN_PROGRESS
            record = dataclasses.replace(
                record,
                status=status,
                regions_done=record.regions_done | {region_id},
                region_outcomes={**record.region_outcomes, region_id: outcome},
            )
            self.rows[image_id] = record
            return record, True

    def claim_completion(self, image_id: str, claimant: str, lease_s: float) -> bool:
        with self._lock:
            if image_id not in self.rows or image_id in self._terminal:
                return False
            holder, expires = self.claims.get(image_id, (claimant, 0.0))
            now = self._clock()
            if holder != claimant and expires >= now:
                return False
            self.claims[image_id] = (claimant, now + lease_s)
            return True

    def finish_image(self, image_id: str, status: Status, message: str) -> bool:
        with self._lock:
            if image_id not in self.rows or image_id in self._terminal:
                return False
            self._terminal.add(image_id)
            self.rows[image_id] = dataclasses.replace(self.rows[image_id], status=status, message=message)
            return True

    def get(self, image_id: str) -> ImageRecord:
        with self._lock:
            return self.rows[image_id]


class InMemoryRegionStore:
    """The region table's promises, in memory."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], RegionRecord] = {}
        self._lock = threading.Lock()

    def start_region(
        self, image_id: str, region_id: str, details: RegionDetails | None = None
    ) -> RegionRecord:
        with self._lock:
            found = self.rows.get((image_id, region_id))
            if found is not None and found.status.is_terminal:
                return found
            record = RegionRecord(
                image_id, region_id, Status.IN_PROGRESS, found.started_at if found else time.time()
            )
            self.rows[(image_id, region_id)] = record
            return record

    def finish_region(
        self,
        image_id: str,
        region_id: str,
        status: Status,
        *,
        total_tiles: int,
        failed_tiles: int,
        failures: Sequence[str],
        failed_tile_bounds: Sequence[TileBounds] = (),
    ) -> tuple[RegionRecord, bool]:
        with self._lock:
            found = self.rows[(image_id, region_id)]
            if found.status.is_terminal:
                return found, False
            record = dataclasses.replace(
                found,
                status=status,
                total_tiles=total_tiles,
                failed_tiles=failed_tiles,
                failures=tuple(failures[:MAX_FAILURES_KEPT]),
            )
            self.rows[(image_id, region_id)] = record
            return record, True

    def regions_of(self, image_id: str) -> list[RegionRecord]:
        with self._lock:
            return [record for (image, _), record in sorted(self.rows.items()) if image == image_id]


class InMemoryRegionQueue:
    """The region queue: what was sent, as the JSON a worker would receive."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self._lock = threading.Lock()

    def send_many(self, bodies: Sequence[Mapping[str, Any]]) -> None:
        with self._lock:
            self.sent.extend(json.dumps(body) for body in bodies)

    def take_all(self) -> list[str]:
        """Every body sent so far, removed from the queue."""
        with self._lock:
            taken, self.sent = self.sent, []
            return taken


class InMemoryWorkspace:
    """Region objects by image, replaced on redelivery like the S3 workspace's objects."""

    def __init__(self) -> None:
        self.objects: dict[str, dict[tuple[str, str], bytes]] = {}
        self._lock = threading.Lock()

    def put(self, image_id: str, region_id: str, name: str, body: bytes) -> None:
        with self._lock:
            self.objects.setdefault(image_id, {})[(region_id, name)] = bytes(body)

    def get(self, image_id: str, region_id: str, name: str) -> bytes | None:
        with self._lock:
            return self.objects.get(image_id, {}).get((region_id, name))

    def clear(self, image_id: str) -> None:
        with self._lock:
            self.objects.pop(image_id, None)


class RecordedEvents:
    """Every emitted event, in order (delivered synchronously: nothing to flush)."""

    def __init__(self) -> None:
        self.events: list[LifecycleEvent] = []
        self._lock = threading.Lock()

    def emit(self, event: LifecycleEvent) -> None:
        with self._lock:
            self.events.append(event)

    def of_type(self, *kinds: type[Any]) -> list[Any]:
        """The events of the given classes, in order."""
        with self._lock:
            return [event for event in self.events if isinstance(event, kinds)]
