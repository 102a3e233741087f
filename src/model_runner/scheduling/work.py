"""The rows of the scheduling table as values: endpoints' counters, work rows, leases."""

from __future__ import annotations

import enum
from dataclasses import dataclass

SCHEDULED_ENDPOINT_TYPES = frozenset({"SM_ENDPOINT", "HTTP_ENDPOINT"})
"""Endpoint types whose regions are scheduled by capacity (asynchronous endpoints are throttled by
their tile ledger and keep the region queue)."""

WORK_PREFIX = "w#"
RANK_DIGITS = 12
ARRIVAL_DIGITS = 15


@dataclass(frozen=True)
class EndpointLoad:
    """One scheduling key's counters: work rows not done, rows leased, units leased, fairness clock."""

    key: str
    pending: int
    leased: int
    used: int
    round: int
    processor: str = ""
    """How to measure the key's capacity: the JSON its adder gave (endpoint type, name, variant, role)."""

    @property
    def waiting(self) -> int:
        """Work rows nobody holds (some may wait for a retry delay)."""
        return max(0, self.pending - self.leased)


@dataclass(frozen=True)
class NewWork:
    """A region to add to a scheduling key: its position among its image's regions, and its body."""

    index: int
    image_id: str
    region_id: str
    job_id: str
    tiles: int
    body: str


@dataclass(frozen=True)
class WorkRow:
    """A work row as a cycle reads it (without its body)."""

    key: str
    item: str
    job_id: str
    image_id: str
    tiles: int
    enqueued: float
    attempts: int
    owner: str | None = None
    lease_expires: float = 0.0
    units: int = 0
    not_before: float = 0.0

    @property
    def rank(self) -> int:
        """The row's place in its key's fair order (see :func:`work_item`)."""
        return int(self.item[len(WORK_PREFIX) :].split("#", 1)[0])


@dataclass(frozen=True)
class Lease:
    """A claimed work row: who holds it, for how many units, and the region request it carries."""

    key: str
    item: str
    owner: str
    units: int
    attempts: int
    body: str
    job_id: str
    image_id: str
    enqueued: float


class ClaimOutcome(enum.Enum):
    """Why a claim did not give a lease."""

    TAKEN = "taken"
    """Another worker holds the row now (or it is done)."""
    FULL = "full"
    """The key's free capacity does not cover the row's units."""


def work_item(rank: int, arrival_ms: int, image_id: str, region_id: str) -> str:
    """The sort key of a work row: rank first (regions of the jobs of a key interleave), then the
    image's arrival (the oldest job first among equals), then ids (deterministic: adding the row
    again finds it)."""
    return f"{WORK_PREFIX}{rank:0{RANK_DIGITS}d}#{arrival_ms:0{ARRIVAL_DIGITS}d}#{image_id}#{region_id}"
