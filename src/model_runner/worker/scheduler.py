"""The scheduling cycle: which region a worker runs next, admitted by its endpoint's capacity.

:class:`ScheduledRegions` is the scheduling table seen as a work queue by the loop: ``receive``
runs one cycle (the least-loaded endpoint with waiting work and room, its first free row in fair
order, claimed with its units in one transaction) and hands the claimed row over as a message whose
lease is its visibility: the heartbeat renews it, settling finishes or releases it. See
docs/scheduling.md for the design.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from model_runner.api import ImageProcessor
from model_runner.aws.sqs import MessageGoneError, QueueMessage
from model_runner.config import WorkerSettings
from model_runner.errors import ModelRunnerError
from model_runner.events import CapacityWait, EndpointThrottled, RegionAdmitted
from model_runner.handlers.ports import EndpointCapacity, EventSink, RegionSchedule
from model_runner.scheduling import (
    CALLS_DONE,
    LEASED_UNITS,
    ClaimOutcome,
    EndpointLoad,
    Lease,
    WorkRow,
    claimable,
    has_room,
    order_endpoints,
    region_units,
    target_capacity,
)

logger = logging.getLogger(__name__)

ROWS_PER_LOOK = 25
"""Work rows read per look at an endpoint (its in-flight rows come first, then the waiting)."""
CLAIMS_PER_CYCLE = 4
"""Claims a cycle tries before it gives up (each lost one was won by another worker)."""
WAIT_REPORT_S = 60.0
"""How often, at most, a worker reports that an image waits for an endpoint's capacity."""


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
        self._leases: dict[str, Lease] = {}
        self._looked_for_expired: dict[str, float] = {}
        self._reported: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()
        self.work_waiting = False
        """Whether the last cycle saw regions waiting for capacity it could not claim."""

    # --- the loop's work queue ---------------------------------------------------------------
    def receive(self, *, wait_s: int, visibility_s: int, max_messages: int = 1) -> list[QueueMessage]:
        """Claim one region by the fairness rule, or none; ``wait_s`` is not waited (the loop's
        image-queue poll is the wait)."""
        lease = self.cycle(visibility_s)
        if lease is None:
            return []
        receipt = f"{lease.key}\n{lease.item}\n{lease.owner}"
        with self._lock:
            self._leases[receipt] = lease
        return [QueueMessage(self.url, lease.item, receipt, lease.body, lease.attempts)]

    def units_of(self, message: QueueMessage) -> int:
        """The units leased for ``message``."""
        return self._lease(message).units

    @contextmanager
    def leased(self, message: QueueMessage) -> Iterator[None]:
        """Process ``message`` with no more model calls in flight than its lease's units, and give
        the units back as soon as its model calls are done."""
        units = LEASED_UNITS.set(self.units_of(message))
        done = CALLS_DONE.set(lambda: self.give_back_units(message))
        try:
            yield
        finally:
            CALLS_DONE.reset(done)
            LEASED_UNITS.reset(units)

    def give_back_units(self, message: QueueMessage) -> None:
        """The region's model calls are done: its units go back to its endpoint while the region's
        outcome is recorded (the row stays leased, so a crash still hands the region over)."""
        with self._lock:
            lease = self._leases.get(message.receipt_handle)
        if lease is None or lease.units == 0:
            return
        try:
            kept = self._schedule.give_back_units(lease)
        except ModelRunnerError as error:
            logger.warning("cannot give back the units of %s yet: %s", lease.item, error)
            return
        if kept is not None:
            with self._lock:
                self._leases[message.receipt_handle] = kept

    def delete(self, message: QueueMessage) -> None:
        """The region is done: remove its row and give its units back."""
        if not self._schedule.finish(self._take(message)):
            raise MessageGoneError(f"the lease of {message.message_id} was taken over")

    def extend(self, message: QueueMessage, visibility_s: int) -> None:
        """Renew the lease for ``visibility_s`` seconds from now."""
        if not self._schedule.renew(self._lease(message), visibility_s):
            raise MessageGoneError(f"the lease of {message.message_id} was taken over")

    def release(self, message: QueueMessage, delay_s: int = 0) -> None:
        """Give the row and its units back, claimable again after ``delay_s`` seconds."""
        if not self._schedule.release(self._take(message), self._clock() + delay_s):
            raise MessageGoneError(f"the lease of {message.message_id} was taken over")

    def dead_letter(self, message: QueueMessage) -> bool:
        """A row that can never be processed: logged with its body, and removed."""
        logger.error("scheduled region %s removed unprocessed: %s", message.message_id, message.body[:2000])
        self.delete(message)
        return True

    def _lease(self, message: QueueMessage) -> Lease:
        with self._lock:
            return self._leases[message.receipt_handle]

    def _take(self, message: QueueMessage) -> Lease:
        with self._lock:
            return self._leases.pop(message.receipt_handle)

    # --- the cycle ---------------------------------------------------------------------------
    def cycle(self, lease_s: float) -> Lease | None:
        """One scheduling decision: a claimed region, or None when nothing may start now."""
        now = self._clock()
        loads = [load for load in self._schedule.loads() if load.pending > 0]
        self.work_waiting = any(load.waiting > 0 for load in loads)
        targets = {load.key: self._target(load) for load in loads}
        ordered = order_endpoints(loads, targets, self._rng)
        ordered += [load for load in loads if load.waiting == 0 and load.leased > 0]
        claims = 0
        for load in ordered:
            target = targets[load.key]
            room = has_room(load, min(self._settings.tile_workers, target), target)
            look_for_expired = self._expiry_check_due(load.key, now, lease_s)
            if not room and load.waiting > 0:
                self._throttled(load, target, now)
            if not room and not look_for_expired:
                continue
            for row in self._schedule.rows(load.key, ROWS_PER_LOOK):
                if not claimable(row, now):
                    continue
                units = region_units(self._settings.tile_workers, row.tiles, target)
                if row.owner is None and not has_room(load, units, target):
                    break  # in fair order: a later, smaller region does not jump ahead
                outcome = self._schedule.claim(row, self._owner, units, target, lease_s, now)
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

    def _target(self, load: EndpointLoad) -> int:
        processor, variant = _processor_of(load)
        capacity = self._capacity.concurrency(processor, variant) if processor is not None else 1
        return target_capacity(capacity, self._settings.capacity_target_percentage)

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


def _processor_of(load: EndpointLoad) -> tuple[ImageProcessor | None, str | None]:
    """The processor and variant its adder described for the key (None if unreadable)."""
    try:
        described = json.loads(load.processor)
        return ImageProcessor.model_validate(described["processor"]), described.get("variant")
    except (ValueError, KeyError, TypeError):
        logger.error("endpoint %s: cannot read how to measure its capacity: %r", load.key, load.processor)
        return None, None
