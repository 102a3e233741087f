"""The ports of the handlers: every collaborator a handler needs, as a Protocol.

Handlers depend on these, never on an adapter class. The AWS, imagery and inference adapters
satisfy them in production (structurally: they do not import this module); the in-memory fakes of
:mod:`model_runner.testing` satisfy them in unit tests and for extension authors. The semantics
each method promises (what is conditional, what is idempotent) are part of the port: the fakes and
the adapters are held to the same contract tests.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray
from pydantic import JsonValue

from model_runner.api import ImageProcessor
from model_runner.api import Sink as SinkDefinition
from model_runner.events import LifecycleEvent
from model_runner.imagery import SensorModel, ValueRange
from model_runner.inference.detectors import Detector
from model_runner.scheduling import ClaimOutcome, EndpointLoad, Lease, NewWork, WorkRow
from model_runner.sinks import Sink
from model_runner.status import ImageDetails, ImageRecord, RegionDetails, RegionRecord, Status, TileBounds
from model_runner.tiling import Window


class JobStore(Protocol):
    """One row per image of a job; every state change is conditional, so redelivery is harmless.

    Completion is claimed: only the holder of an unexpired claim writes an image's features, so
    two workers never complete the same image at once.
    """

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
        """Create the image's row unless it exists; the row, and whether this call created it.
        ``request_digest`` identifies the request (a resubmission with other values differs);
        ``details`` are kept for tools that read the table, never read back."""
        ...

    def record_region(
        self, image_id: str, region_id: str, outcome: Status, *, claimant: str, lease_s: float
    ) -> tuple[ImageRecord, bool]:
        """Count a region's outcome once; the row, and whether this call counted it.

        The counting write also claims the image's completion for ``claimant`` for ``lease_s``
        seconds, so the caller whose count completed the image holds the claim; a call that did
        not count claims nothing.
        """
        ...

    def claim_completion(self, image_id: str, claimant: str, lease_s: float) -> bool:
        """Claim (or renew) the completion of the image for ``lease_s`` seconds: granted when no
        one holds it, ``claimant`` already does, or the holder's lease ran out; never once the
        image has a terminal status. Whether ``claimant`` holds it now."""
        ...

    def finish_image(self, image_id: str, status: Status, message: str) -> bool:
        """Set the image's terminal status unless one is set; whether this call set it."""
        ...

    def get(self, image_id: str) -> ImageRecord:
        """The image's row (KeyError when there is none)."""
        ...


class RegionStore(Protocol):
    """One row per region of an image; its terminal status is written once."""

    def start_region(
        self, image_id: str, region_id: str, details: RegionDetails | None = None
    ) -> RegionRecord:
        """Mark the region in progress unless it finished; the row as it is now. ``details`` are
        kept for tools that read the table, never read back."""
        ...

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
        """Record the region's outcome once; the row, and whether this call recorded it."""
        ...

    def regions_of(self, image_id: str) -> list[RegionRecord]:
        """Every region row of an image."""
        ...


class RegionQueue(Protocol):
    """Where an image's regions go for any worker to take."""

    def send_many(self, bodies: Sequence[Mapping[str, Any]]) -> None:
        """Send every body (JSON-serialisable), or raise."""
        ...


class DetectionWorkspace(Protocol):
    """What the regions of an image in progress leave for its completion: named objects per region
    (see :mod:`model_runner.handlers.region_features`), until the image completes. Objects are
    put and read from several threads at once."""

    def put(self, image_id: str, region_id: str, name: str, body: bytes) -> None:
        """Keep one object of a region, replacing an earlier one of the same name."""
        ...

    def get(self, image_id: str, region_id: str, name: str) -> bytes | None:
        """An object of a region; None when there is none."""
        ...

    def clear(self, image_id: str) -> None:
        """Forget every object of the image's regions."""
        ...


class RegionSchedule(Protocol):
    """The scheduling table (ENDPOINT_TABLE): capacity counters per scheduling key and one work row
    per region waiting or running (see docs/scheduling.md).

    Every lease change moves the key's counters with it atomically, so ``used`` is always the units
    of the rows leased; rows are added once (a redelivered image adds only what is missing).
    """

    def add(self, key: str, image_id: str, work: Sequence[NewWork], processor: str) -> int:
        """Add the image's regions to ``key`` unless there; ranked from the key's fairness clock
        when the image first came. ``processor`` (kept with the key's counters) says how to measure
        its capacity. How many rows this call added."""
        ...

    def loads(self) -> list[EndpointLoad]:
        """Every key's counters."""
        ...

    def rows(self, key: str, limit: int) -> list[WorkRow]:
        """The first ``limit`` work rows of ``key`` in fair order (rank, then arrival)."""
        ...

    def claim(
        self,
        row: WorkRow,
        owner: str,
        units: int,
        target: int,
        lease_s: float,
        now: float,
        handover: Lease | None = None,
    ) -> Lease | ClaimOutcome:
        """Lease ``row`` (free, or its lease ran out) for ``units`` while the key's used units stay
        within ``target`` or nothing else runs there; else TAKEN or FULL. TAKEN too when the row
        changed hands since it was read (another owner, or other ``attempts``): the lease's
        ``attempts`` is then ``row.attempts + 1``. With ``handover`` (a
        lease of ``owner`` on the same key), its units pass to ``row`` in the same change (it keeps
        its row with none left), so only ``units`` beyond them need room; TAKEN when ``handover``
        is no longer held with those units."""
        ...

    def renew(self, lease: Lease, lease_s: float) -> bool:
        """Extend the lease ``lease_s`` from now; False when ``lease.owner`` no longer holds it."""
        ...

    def release(self, lease: Lease, not_before: float) -> bool:
        """Give the row back, claimable from ``not_before``, with its units; False when not held."""
        ...

    def give_back_units(self, lease: Lease) -> Lease | None:
        """Keep the row leased but give its units back (its model calls are done, only bookkeeping
        is left); the lease as it is now (0 units), or None when not held."""
        ...

    def finish(self, lease: Lease) -> bool:
        """Remove the done row and give its units back; False when not held."""
        ...


class Image(Protocol):
    """An open image: its size and pixels, and how its pixels map to the ground."""

    @property
    def url(self) -> str: ...

    @property
    def width(self) -> int: ...

    @property
    def height(self) -> int: ...

    @property
    def dtype(self) -> np.dtype[Any]: ...

    @property
    def band_count(self) -> int:
        """Bands of every pixel (the first axis of what :meth:`read` gives)."""
        ...

    @property
    def block_height(self) -> int:
        """Rows of the blocks the image is stored in: reads that meet on a block edge share no block."""
        ...

    @property
    def reads_at_once(self) -> int:
        """Windows the image reads at once (a network image's lanes of handles; 1 for a file on
        disk, whose reads take turns)."""
        ...

    @property
    def format_name(self) -> str:
        """The image's format as GDAL names it, upper case (NITF, GTIFF, PNG, ...)."""
        ...

    def read(self, window: Window) -> NDArray[np.generic]:
        """The pixels of ``window``, shaped (bands, rows, columns)."""
        ...

    def value_range(self) -> ValueRange:
        """The range of the image's values, for scaling deep pixels to 8 bits."""
        ...

    def sensor_model(self) -> SensorModel | None:
        """The image's pixel <-> world transform; None for an image without georeferencing (raises
        ImageReadError when its georeferencing is incomplete)."""
        ...

    def source_metadata(self) -> dict[str, str | None] | None:
        """What output features say of their source image (NITF header fields), if anything."""
        ...


class ImageOpener(Protocol):
    """Opens images once per worker and shares them between the regions that read them."""

    def get(self, url: str, role_arn: str | None = None) -> Image:
        """The open image at ``url``, read as ``role_arn`` (raises ImageReadError)."""
        ...


class ModelEndpoints(Protocol):
    """The detectors of a request's model, by endpoint type."""

    def detector(self, processor: ImageProcessor, parameters: Mapping[str, JsonValue]) -> Detector:
        """The detector for a request's imageProcessor (raises InvalidRequestError when not served)."""
        ...


class EndpointCapacity(Protocol):
    """Concurrent model calls an endpoint serves, as far as the worker can tell (cached)."""

    def concurrency(self, processor: ImageProcessor, variant: str | None = None) -> int:
        """Calls ``processor``'s endpoint (its ``variant``, or all of its variants) serves at once."""
        ...


class SinkFactory(Protocol):
    """Builds the sinks a request's outputs name, each with a client for its own role."""

    def __call__(self, outputs: Sequence[SinkDefinition]) -> list[Sink]: ...


class EventSink(Protocol):
    """Where handlers report what happens (the event bus and its observers)."""

    def emit(self, event: LifecycleEvent) -> None: ...


class Tracer(Protocol):
    """Traces of the work (AWS X-Ray when TRACING_ENABLED); the default traces nothing."""

    def span(self, name: str, **annotations: str) -> AbstractContextManager[None]:
        """A span around some work: a segment, or a subsegment of the span open on this thread."""
        ...

    def traced(self, detector: Detector) -> Detector:
        """``detector``, whose calls are spans under the span open on this thread now."""
        ...
