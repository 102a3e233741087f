"""Scheduling regions across shared model endpoints: capacity units, work rows, the fairness rule.

Pure Python (no AWS): the DynamoDB adapter (:mod:`model_runner.aws.region_schedule`), its fake
and the worker's scheduling cycle (:mod:`model_runner.worker.scheduler`) share these types and
rules. See docs/scheduling.md.
"""

from model_runner.scheduling.capacity import (
    LEASED_CALLS,
    CallPermits,
    LeasedCalls,
    leased_calls,
    model_calls_done,
    region_units,
    target_capacity,
    tile_concurrency,
)
from model_runner.scheduling.fairness import claimable, has_room, order_endpoints
from model_runner.scheduling.on_the_wire import PermitOnTheWire
from model_runner.scheduling.work import (
    SCHEDULED_ENDPOINT_TYPES,
    ClaimOutcome,
    EndpointLoad,
    Lease,
    NewWork,
    WorkRow,
    work_item,
)

__all__ = [
    "LEASED_CALLS",
    "SCHEDULED_ENDPOINT_TYPES",
    "CallPermits",
    "ClaimOutcome",
    "EndpointLoad",
    "Lease",
    "LeasedCalls",
    "NewWork",
    "PermitOnTheWire",
    "WorkRow",
    "claimable",
    "has_room",
    "leased_calls",
    "model_calls_done",
    "order_endpoints",
    "region_units",
    "target_capacity",
    "tile_concurrency",
    "work_item",
]
