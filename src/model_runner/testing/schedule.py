"""The scheduling table's promises, in memory (one lock per call, as a DynamoDB transaction)."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Sequence

from model_runner.scheduling import ClaimOutcome, EndpointLoad, Lease, NewWork, WorkRow, work_item


@dataclasses.dataclass
class _Work:
    row: WorkRow
    body: str


class InMemoryRegionSchedule:
    """Endpoint counters and work rows in dictionaries, held to the table's contract tests."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self.counters: dict[str, EndpointLoad] = {}
        self._starts: dict[tuple[str, str], tuple[int, int]] = {}
        self._work: dict[str, dict[str, _Work]] = {}

    def add(self, key: str, image_id: str, work: Sequence[NewWork], processor: str) -> int:
        with self._lock:
            counters = self._load(key)
            base, arrival = self._starts.setdefault(
                (key, image_id), (counters.round, int(self._clock() * 1000))
            )
            rows = self._work.setdefault(key, {})
            added = 0
            for region in work:
                item = work_item(base + region.index, arrival, image_id, region.region_id)
                if item in rows:
                    continue
                row = WorkRow(key, item, region.job_id, image_id, region.tiles, self._clock(), 0)
                rows[item] = _Work(row, region.body)
                added += 1
            self.counters[key] = dataclasses.replace(
                counters, pending=counters.pending + added, processor=processor
            )
            return added

    def loads(self) -> list[EndpointLoad]:
        with self._lock:
            return sorted(self.counters.values(), key=lambda load: load.key)

    def rows(self, key: str, limit: int) -> list[WorkRow]:
        with self._lock:
            rows = self._work.get(key, {})
            return [rows[item].row for item in sorted(rows)[:limit]]

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
        if handover is not None and handover.key != row.key:
            raise ValueError(f"units of {handover.key} cannot pass to a row of {row.key}")
        with self._lock:
            counters = self._load(row.key)
            takeover = row.owner is not None
            delta = (units - row.units if takeover else units) - (handover.units if handover else 0)
            if not (counters.used == 0 or counters.used + delta <= target):
                return ClaimOutcome.FULL
            work = self._work.get(row.key, {}).get(row.item)
            if work is None or not _claimable(work.row, row, now):
                return ClaimOutcome.TAKEN
            giver = self._held(handover) if handover is not None else None
            if handover is not None:
                if giver is None or giver.row.units != handover.units:
                    return ClaimOutcome.TAKEN
                giver.row = dataclasses.replace(giver.row, units=0)
            work.row = dataclasses.replace(
                work.row,
                owner=owner,
                lease_expires=now + lease_s,
                units=units,
                attempts=work.row.attempts + 1,
                not_before=0.0,
            )
            self.counters[row.key] = dataclasses.replace(
                counters,
                used=counters.used + delta,
                leased=counters.leased + (0 if takeover else 1),
                round=row.rank,
            )
            held = work.row
            return Lease(
                held.key,
                held.item,
                owner,
                units,
                held.attempts,
                work.body,
                held.job_id,
                held.image_id,
                held.enqueued,
            )

    def renew(self, lease: Lease, lease_s: float) -> bool:
        with self._lock:
            work = self._held(lease)
            if work is None:
                return False
            work.row = dataclasses.replace(work.row, lease_expires=self._clock() + lease_s)
            return True

    def release(self, lease: Lease, not_before: float) -> bool:
        with self._lock:
            work = self._held(lease)
            if work is None:
                return False
            work.row = dataclasses.replace(
                work.row, owner=None, lease_expires=0.0, units=0, not_before=not_before
            )
            self._give_back(lease, done=False)
            return True

    def give_back_units(self, lease: Lease) -> Lease | None:
        with self._lock:
            work = self._held(lease)
            if work is None or work.row.units != lease.units:
                return None
            work.row = dataclasses.replace(work.row, units=0)
            counters = self._load(lease.key)
            self.counters[lease.key] = dataclasses.replace(counters, used=counters.used - lease.units)
            return dataclasses.replace(lease, units=0)

    def finish(self, lease: Lease) -> bool:
        with self._lock:
            if self._held(lease) is None:
                return False
            del self._work[lease.key][lease.item]
            self._give_back(lease, done=True)
            return True

    def _give_back(self, lease: Lease, *, done: bool) -> None:
        counters = self._load(lease.key)
        self.counters[lease.key] = dataclasses.replace(
            counters,
            used=counters.used - lease.units,
            leased=counters.leased - 1,
            pending=counters.pending - (1 if done else 0),
        )

    def _held(self, lease: Lease) -> _Work | None:
        work = self._work.get(lease.key, {}).get(lease.item)
        return work if work is not None and work.row.owner == lease.owner else None

    def _load(self, key: str) -> EndpointLoad:
        return self.counters.get(key, EndpointLoad(key, 0, 0, 0, 0))


def _claimable(current: WorkRow, seen: WorkRow, now: float) -> bool:
    """The claim's condition: the row is still as the claimer saw it (its owner and its attempts),
    and free or expired."""
    if current.attempts != seen.attempts:
        return False
    if seen.owner is None:
        return current.owner is None and current.not_before <= now
    return current.owner == seen.owner and current.lease_expires < now
