"""The scheduling cycle: which region a worker runs next, admitted by its endpoint's capacity.

:class:`ScheduledRegions` is the scheduling table seen as a work queue by the loop: ``receive``
runs one cycle (the least-loaded endpoint with waiting work and room, its first free row in fair
order, claimed with its units in one transaction) and hands the claimed row over as a message whose
lease is its visibility: the heartbeat renews it, settling finishes or releases it. A region down
to its last tiles passes its units to the worker's next region of its endpoint in that claim (the
two share the permits, so the calls under the units never outnumber them). See
docs/scheduling.md for the design.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import logging
import math
import random
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial

from model_runner.api import ImageProcessor, JobOptions
from model_runner.aws.sqs import MessageGoneError, QueueMessage
from model_runner.config import WorkerSettings
from model_runner.errors import ModelRunnerError
from model_runner.events import CapacityWait, EndpointThrottled, RegionAdmitted
from model_runner.handlers.ports import EndpointCapacity, EventSink, RegionSchedule
from model_runner.ordered_ahead import call_ahead
from model_runner.scheduling import (
    LEASED_CALLS,
    SCHEDULED_ENDPOINT_TYPES,
    CallPermits,
    ClaimOutcome,
    EndpointLoad,
    Lease,
    LeasedCalls,
    WorkRow,
    claimable,
    has_room,
    order_endpoints,
    region_units,
    target_capacity,
)
from model_runner.worker.fan_out import scheduling_key, target_variant

logger = logging.getLogger(__name__)

ROWS_PER_LOOK = 25
"""Work rows read per look at an endpoint (its in-flight rows come first, then the waiting)."""
CLAIMS_PER_CYCLE = 4
"""Claims a cycle tries before it gives up (each lost one was won by another worker)."""
WAIT_REPORT_S = 60.0
"""How often, at most, a worker reports that an image waits for an endpoint's capacity."""


@dataclass
class _Held:
    """A lease this worker holds: the permits its region's calls take, whether the region is down
    to its last tiles (its units may then pass to this worker's next region of the key), and when
    the loop may start that next region."""

    lease: Lease
    permits: CallPermits
    order: int
    """Its place among the regions sharing ``permits`` (their calls go oldest first)."""
    ending: bool = False
    next_may_start: threading.Event = field(default_factory=threading.Event)
    units_lock: threading.Lock = field(default_factory=threading.Lock)
    """Held while the lease's units change (given back, or passed to the next region)."""


class ScheduledRegions:
    """The scheduling table as the loop's work queue (one worker's view of it)."""

    url = "scheduler"

    def __init__(
        self,
        schedule: RegionSchedule,
        capacity: EndpointCapacity,
        settings: WorkerSettings,
        events: EventSink,
        owner: str,
        *,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        self._schedule = schedule
        self._capacity = capacity
        self._settings = settings
        self._events = events
        self._owner = owner
        self._clock = clock
        self._rng = rng or random.Random()
        self._held: dict[str, _Held] = {}
        self._handed_permits: dict[str, CallPermits] = {}
        self._claimed = 0
        self._looked_for_expired: dict[str, float] = {}
        self._reported: dict[tuple[str, str], float] = {}
        self._taken_in: str | None = None
        """The key of the image the loop took in last, whose rows the next cycle reads at once."""
        self._measured: dict[str, float] = {}
        """When this worker started learning each key's capacity ahead (an image of it taken in)."""
        self._learned: dict[str, float] = {}
        """When this worker last had each key's capacity (its port keeps it CAPACITY_CACHE_SECONDS)."""
        self._lock = threading.Lock()
        self.work_waiting = False
        """Whether the last cycle saw regions waiting for capacity it could not claim."""

    def taking_in(self, request: JobOptions) -> None:
        """An image of ``request`` is being taken in: learn its endpoint's capacity on a thread of
        its own (unless this worker did within CAPACITY_CACHE_SECONDS), so the cycle that admits
        the image's first region finds it known, and have the next cycle read that endpoint's rows
        along with the counters."""
        processor, variant = request.image_processor, target_variant(request)
        if processor.type.value not in SCHEDULED_ENDPOINT_TYPES:
            return
        key = scheduling_key(request)
        now = self._clock()
        with self._lock:
            self._taken_in = key
            if now - self._measured.get(key, -math.inf) < self._settings.capacity_cache_s:
                return
            self._measured[key] = now
        threading.Thread(
            target=self._measure, args=(key, processor, variant), name=f"capacity-{key}", daemon=True
        ).start()

    def _measure(self, key: str, processor: ImageProcessor, variant: str | None) -> None:
        """Learn the capacity of ``key`` (DescribeEndpoint and ListTags, cached by the port; a cycle
        that needs it meanwhile waits for this answer instead of asking again)."""
        try:
            self._capacity.concurrency(processor, variant)
        except Exception:  # the cycle measures it again, and reports what fails
            logger.exception("could not learn the capacity of endpoint %s ahead", key)
            with self._lock:
                self._measured.pop(key, None)
            return
        with self._lock:
            self._learned[key] = self._clock()

    # --- the loop's work queue ---------------------------------------------------------------
    def receive(self, *, wait_s: int, visibility_s: int, max_messages: int = 1) -> list[QueueMessage]:
        """Claim one region by the fairness rule, or none; ``wait_s`` is not waited (the loop's
        image-queue poll is the wait)."""
        lease = self.cycle(visibility_s)
        if lease is None:
            return []
        receipt = f"{lease.key}\n{lease.item}\n{lease.owner}"
        with self._lock:
            permits = self._handed_permits.pop(lease.item, None) or CallPermits(lease.units)
            self._claimed += 1
            self._held[receipt] = _Held(lease, permits, self._claimed)
        return [QueueMessage(self.url, lease.item, receipt, lease.body, lease.attempts)]

    @contextmanager
    def leased(self, message: QueueMessage) -> Iterator[None]:
        """Process ``message`` with no more model calls in flight than its lease's units, give the
        units back as soon as its model calls are done, and let the loop start the next region
        once this one is down to its last tiles (or ended)."""
        held = self._held_of(message)
        token = LEASED_CALLS.set(
            LeasedCalls(
                held.permits,
                held.order,
                last_tiles=lambda: self._last_tiles(held),
                calls_done=lambda: self.give_back_units(message),
            )
        )
        try:
            yield
        finally:
            LEASED_CALLS.reset(token)
            held.next_may_start.set()

    def next_may_start(self, message: QueueMessage) -> threading.Event:
        """Set once the region of ``message`` is down to its last tiles, or ended."""
        return self._held_of(message).next_may_start

    def give_back_units(self, message: QueueMessage) -> None:
        """The region's model calls are done: its units go back to its endpoint while the region's
        outcome is recorded (the row stays leased, so a crash still hands the region over)."""
        with self._lock:
            held = self._held.get(message.receipt_handle)
        if held is None:
            return
        with held.units_lock:
            if held.lease.units == 0:
                return
            self._wait_for_calls(held)
            try:
                kept = self._schedule.give_back_units(held.lease)
            except ModelRunnerError as error:
                logger.warning("cannot give back the units of %s yet: %s", held.lease.item, error)
                return
            if kept is not None:
                held.lease = kept

    def delete(self, message: QueueMessage) -> None:
        """The region is done: remove its row and give its units back."""
        held = self._take(message)
        with held.units_lock:
            self._wait_for_calls(held)
            if not self._schedule.finish(held.lease):
                raise MessageGoneError(f"the lease of {message.message_id} was taken over")

    def extend(self, message: QueueMessage, visibility_s: int) -> None:
        """Renew the lease for ``visibility_s`` seconds from now."""
        if not self._schedule.renew(self._held_of(message).lease, visibility_s):
            raise MessageGoneError(f"the lease of {message.message_id} was taken over")

    def release(self, message: QueueMessage, delay_s: int = 0) -> None:
        """Give the row and its units back, claimable again after ``delay_s`` seconds."""
        held = self._take(message)
        with held.units_lock:
            self._wait_for_calls(held)
            if not self._schedule.release(held.lease, self._clock() + delay_s):
                raise MessageGoneError(f"the lease of {message.message_id} was taken over")

    def dead_letter(self, message: QueueMessage) -> bool:
        """A row that can never be processed: logged with its body, and removed."""
        logger.error("scheduled region %s removed unprocessed: %s", message.message_id, message.body[:2000])
        self.delete(message)
        return True

    def _held_of(self, message: QueueMessage) -> _Held:
        with self._lock:
            return self._held[message.receipt_handle]

    def _take(self, message: QueueMessage) -> _Held:
        with self._lock:
            return self._held.pop(message.receipt_handle)

    def _last_tiles(self, held: _Held) -> None:
        with self._lock:
            held.ending = True
        held.next_may_start.set()

    def _wait_for_calls(self, held: _Held) -> None:
        """Units go back only when no call under them is in flight: the permits may be shared with
        the region that handed them over, whose last calls may still be under way."""
        if held.lease.units > 0 and not held.permits.wait_idle(2 * self._settings.model_read_timeout_s):
            logger.warning(
                "the units of %s go back while a model call under them is in flight", held.lease.item
            )

    def _handing_over(self) -> dict[str, _Held]:
        """Per key, a lease of this worker whose region is down to its last tiles and still holds
        units: they may pass to the worker's next region of that key."""
        with self._lock:
            done = [held for held in self._held.values() if held.ending and held.lease.units > 0]
        return {held.lease.key: held for held in done}

    # --- the cycle ---------------------------------------------------------------------------
    def cycle(self, lease_s: float) -> Lease | None:
        """One scheduling decision: a claimed region, or None when nothing may start now.

        Units that one of this worker's regions is about to give back (it is down to its last
        tiles) count as free for this worker: its next region of that key takes them over in the
        claim and shares its permits, so the endpoint's calls go on without a gap."""
        now = self._clock()
        handing = self._handing_over()
        rows_ahead = self._rows_ahead()
        real = {load.key: load for load in self._schedule.loads() if load.pending > 0}
        loads = [_freed(load, handing.get(key)) for key, load in real.items()]
        self.work_waiting = any(load.waiting > 0 for load in loads)
        targets: dict[str, int] = {}

        def target_of(key: str) -> int:  # measured once per cycle, and only when needed
            if key not in targets:
                targets[key] = self._target(real[key])
            return targets[key]

        ordered = order_endpoints(loads, target_of, self._rng, known=lambda key: self._knows(key, now))
        expiring = [load for load in loads if load.waiting == 0 and load.leased > 0]
        claims = 0
        for load in itertools.chain(ordered, expiring):
            target = target_of(load.key)
            room = has_room(load, min(self._settings.tile_workers, target), target)
            look_for_expired = self._expiry_check_due(load.key, now, lease_s)
            if not room and load.waiting > 0:
                self._throttled(load, target, now)
            if not room and not look_for_expired:
                continue
            source = handing.get(load.key)
            rows = rows_ahead.pop(load.key, None)
            for row in rows.result() if rows is not None else self._schedule.rows(load.key, ROWS_PER_LOOK):
                if not claimable(row, now):
                    continue
                units = region_units(self._settings.tile_workers, row.tiles, target)
                passing = source if source is not None and row.owner is None else None
                if passing is not None and passing.lease.units != units:
                    passing = None
                if row.owner is None and passing is None and not has_room(real[load.key], units, target):
                    break  # in fair order: a later, smaller region does not jump ahead
                outcome = self._claim(row, units, target, lease_s, now, passing)
                if isinstance(outcome, Lease):
                    self._admitted(outcome, row, now)
                    self.work_waiting = False
                    return outcome
                claims += 1
                if outcome is ClaimOutcome.FULL or claims >= CLAIMS_PER_CYCLE:
                    break
            if claims >= CLAIMS_PER_CYCLE:
                return None
        return None

    def _rows_ahead(self) -> dict[str, Future[list[WorkRow]]]:
        """The rows of the key whose image the loop just took in, read while the counters are: the
        worker that took it in usually starts its first region (it knows its capacity)."""
        with self._lock:
            key, self._taken_in = self._taken_in, None
        if key is None:
            return {}
        return {key: call_ahead(partial(self._schedule.rows, key, ROWS_PER_LOOK), f"rows-{key}")}

    def _claim(
        self, row: WorkRow, units: int, target: int, lease_s: float, now: float, source: _Held | None
    ) -> Lease | ClaimOutcome:
        """Claim ``row``; with ``source``, with its units (unless they are being given back now),
        the new region then sharing its permits while its last calls finish."""
        claim = partial(self._schedule.claim, row, self._owner, units, target, lease_s, now)
        if source is None or not source.units_lock.acquire(blocking=False):
            return claim()
        try:
            if source.lease.units != units:
                return claim()
            outcome = claim(handover=source.lease)
            if isinstance(outcome, Lease):
                source.lease = dataclasses.replace(source.lease, units=0)
                with self._lock:
                    self._handed_permits[outcome.item] = source.permits
            return outcome
        finally:
            source.units_lock.release()

    def _target(self, load: EndpointLoad) -> int:
        processor, variant = _processor_of(load)
        capacity = self._capacity.concurrency(processor, variant) if processor is not None else 1
        with self._lock:
            self._learned[load.key] = self._clock()
        return target_capacity(capacity, self._settings.capacity_target_percentage)

    def _knows(self, key: str, now: float) -> bool:
        """Whether this worker has the capacity of ``key`` at hand (no call needed to measure it)."""
        return now - self._learned.get(key, -math.inf) < self._settings.capacity_cache_s

    def _expiry_check_due(self, key: str, now: float, lease_s: float) -> bool:
        """Whether to look at ``key``'s rows for leases that ran out (once per half lease)."""
        if now - self._looked_for_expired.get(key, 0.0) < lease_s / 2:
            return False
        self._looked_for_expired[key] = now
        return True

    def _admitted(self, lease: Lease, row: WorkRow, now: float) -> None:
        if row.owner is not None:
            logger.warning("took over region %s of %s: its lease ran out (%s)", row.item, row.key, row.owner)
        self._events.emit(
            RegionAdmitted(lease.job_id, lease.image_id, lease.key, lease.units, now - lease.enqueued)
        )

    def _throttled(self, load: EndpointLoad, target: int, now: float) -> None:
        """Count the throttled endpoint; tell its first waiting images, about once a minute."""
        self._events.emit(EndpointThrottled(load.key, load.waiting, load.used, target))
        if now - self._reported.get((load.key, ""), 0.0) < WAIT_REPORT_S:
            return
        self._reported[(load.key, "")] = now
        for row in self._schedule.rows(load.key, ROWS_PER_LOOK):
            if row.owner is None and now - self._reported.get((load.key, row.image_id), 0.0) >= WAIT_REPORT_S:
                self._reported[(load.key, row.image_id)] = now
                self._events.emit(CapacityWait(row.job_id, row.image_id, load.key, load.used, target))


def _freed(load: EndpointLoad, source: _Held | None) -> EndpointLoad:
    """The key's load as this worker sees it: without the units it is about to pass on."""
    return load if source is None else dataclasses.replace(load, used=load.used - source.lease.units)


def _processor_of(load: EndpointLoad) -> tuple[ImageProcessor | None, str | None]:
    """The processor and variant its adder described for the key (None if unreadable)."""
    try:
        described = json.loads(load.processor)
        return ImageProcessor.model_validate(described["processor"]), described.get("variant")
    except (ValueError, KeyError, TypeError):
        logger.error("endpoint %s: cannot read how to measure its capacity: %r", load.key, load.processor)
        return None, None
