"""Where an image's regions go: the scheduling table for endpoints scheduled by capacity, the
region queue for the others (asynchronous endpoints, or all when scheduling is off)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from model_runner.api import JobOptions, RegionRequest
from model_runner.errors import InvalidRequestError
from model_runner.handlers.ports import RegionQueue, RegionSchedule
from model_runner.scheduling import SCHEDULED_ENDPOINT_TYPES, NewWork
from model_runner.tiling import TilingStrategy

TARGET_VARIANT = "TargetVariant"


def scheduling_key(request: JobOptions) -> str:
    """The key whose capacity the region leases: the endpoint, or its variant when the request
    names one (SageMaker routes such calls to that variant only)."""
    variant = target_variant(request)
    name = request.image_processor.name
    return f"{name}/{variant}" if variant else name


def target_variant(request: JobOptions) -> str | None:
    """The variant the request's calls go to, if it names one."""
    variant = request.image_processor_parameters.get(TARGET_VARIANT)
    return variant if isinstance(variant, str) and variant else None


class ScheduledFanOut:
    """The region queue port: adds the regions of scheduled endpoints to the scheduling table
    (one image's regions in their order, so they keep their fair ranks on redelivery)."""

    def __init__(self, schedule: RegionSchedule, queue: RegionQueue, tiling: TilingStrategy) -> None:
        self._schedule = schedule
        self._queue = queue
        self._tiling = tiling

    def send_many(self, bodies: Sequence[Mapping[str, Any]]) -> None:
        """Schedule or send every body.

        Raises:
            InvalidRequestError: a body is not a region request (a handler's bug or extension's).
        """
        scheduled: dict[tuple[str, str], list[NewWork]] = defaultdict(list)
        processors: dict[str, str] = {}
        others = []
        for body in bodies:
            try:
                request = RegionRequest.model_validate(body)
            except ValidationError as error:
                raise InvalidRequestError([f"region request: {error}"]) from None
            if request.image_processor.type.value not in SCHEDULED_ENDPOINT_TYPES:
                others.append(body)
                continue
            key = scheduling_key(request)
            work = scheduled[(key, request.image_id)]
            tiles = len(list(self._tiling.tiles(request.region())))
            work.append(
                NewWork(
                    len(work), request.image_id, request.region_id, request.job_id, tiles, json.dumps(body)
                )
            )
            processors[key] = json.dumps(
                {
                    "processor": request.image_processor.model_dump(by_alias=True, mode="json"),
                    "variant": target_variant(request),
                }
            )
        for (key, image_id), work in scheduled.items():
            self._schedule.add(key, image_id, work, processors[key])
        if others:
            self._queue.send_many(others)
