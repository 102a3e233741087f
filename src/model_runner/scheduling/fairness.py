"""The fairness rule: which endpoint a worker serves next, and which of its rows it may take."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence

from model_runner.scheduling.work import EndpointLoad, WorkRow


def order_endpoints(
    loads: Sequence[EndpointLoad],
    target_of: Callable[[str], int],
    rng: random.Random | None = None,
    known: Callable[[str], bool] = lambda key: True,
) -> Iterator[EndpointLoad]:
    """The keys with waiting work, least loaded first (``used / target``); among equals, those whose
    target is ``known`` first (the others must be measured before a claim), then in random order,
    so that workers looking at the same moment spread over them. An idle key's load is 0 whatever
    its target, and less than any other's: the idle keys come first, and the targets of the others
    are asked for only once the caller wants more (measuring an endpoint may take calls)."""
    draw = rng or random
    waiting = [load for load in loads if load.waiting > 0]
    idle = [(0.0, not known(load.key), draw.random(), load) for load in waiting if not load.used]
    yield from (entry[-1] for entry in sorted(idle, key=lambda entry: entry[:3]))
    busy = [
        (load.used / target_of(load.key), not known(load.key), draw.random(), load)
        for load in waiting
        if load.used
    ]
    yield from (entry[-1] for entry in sorted(busy, key=lambda entry: entry[:3]))


def has_room(load: EndpointLoad, units: int, target: int) -> bool:
    """Whether ``units`` more calls fit the key's target; an idle key always has room."""
    return load.used == 0 or load.used + units <= target


def claimable(row: WorkRow, now: float) -> bool:
    """Whether a worker may claim the row now: nobody holds it and its retry delay passed, or its
    holder's lease ran out (the holder died or stalled)."""
    if row.owner is None:
        return row.not_before <= now
    return row.lease_expires < now
