"""The base handlers with the reference's constructor signatures, for extension code written for
the reference OversightML Model Runner or its extension guide.

This project's own handlers take one typed :class:`~model_runner.handlers.HandlerContext`. These
compatibility classes take the reference's positional collaborators instead (the registry fills
them by name), put them into the context they are built from, and answer the reference's
attribute names (``self.job_table``, ``self.config``, ...). They only work when built by the
registry, which supplies everything the reference signatures leave out.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Generic, TypeVar, cast, overload

from model_runner.config import WorkerSettings
from model_runner.handlers import HandlerContext
from model_runner.handlers import ImageRequestHandler as ContextImageHandler
from model_runner.handlers import RegionRequestHandler as ContextRegionHandler
from model_runner.handlers.ports import (
    EventSink,
    JobStore,
    ModelEndpoints,
    RegionQueue,
    RegionSchedule,
    RegionStore,
)
from model_runner.registry import constructing
from model_runner.tiling import TilingStrategy

Part = TypeVar("Part")


class _ContextPart(Generic[Part]):
    """A reference attribute name for one part of the handler context; assigning it (as reference
    extensions do, ``self.endpoint_utils = Wrapper(self.endpoint_utils)``) replaces that part."""

    def __init__(self, field: str) -> None:
        self._field = field

    @overload
    def __get__(self, instance: None, owner: type) -> _ContextPart[Part]: ...

    @overload
    def __get__(self, instance: ReferenceAttributes, owner: type) -> Part: ...

    def __get__(self, instance: ReferenceAttributes | None, owner: type) -> _ContextPart[Part] | Part:
        if instance is None:
            return self
        return cast(Part, getattr(instance.context, self._field))

    def __set__(self, instance: ReferenceAttributes, value: Part) -> None:
        changes: dict[str, Any] = {self._field: value}
        instance.context = replace(instance.context, **changes)


class ReferenceAttributes:
    """The reference's names for the parts of the handler context."""

    context: HandlerContext
    config = _ContextPart[WorkerSettings]("settings")
    job_table = _ContextPart[JobStore]("jobs")
    region_request_table = _ContextPart[RegionStore]("regions")
    region_status_monitor = _ContextPart[EventSink]("events")
    image_status_monitor = _ContextPart[EventSink]("events")
    endpoint_statistics_table = _ContextPart[RegionSchedule]("schedule")
    tiling_strategy = _ContextPart[TilingStrategy]("tiling")
    endpoint_utils = _ContextPart[ModelEndpoints]("models")
    region_request_queue = _ContextPart[RegionQueue]("region_queue")


class RegionRequestHandler(ReferenceAttributes, ContextRegionHandler):
    """The region handler as the reference constructs it."""

    def __init__(
        self,
        region_request_table: RegionStore,
        job_table: JobStore,
        region_status_monitor: EventSink,
        endpoint_statistics_table: RegionSchedule,
        tiling_strategy: TilingStrategy,
        endpoint_utils: ModelEndpoints,
        config: WorkerSettings,
    ) -> None:
        super().__init__(
            replace(
                constructing(self),
                regions=region_request_table,
                jobs=job_table,
                events=region_status_monitor,
                schedule=endpoint_statistics_table,
                tiling=tiling_strategy,
                models=endpoint_utils,
                settings=config,
            )
        )


class ImageRequestHandler(ReferenceAttributes, ContextImageHandler):
    """The image handler as the reference constructs it."""

    def __init__(
        self,
        job_table: JobStore,
        image_status_monitor: EventSink,
        endpoint_statistics_table: RegionSchedule,
        tiling_strategy: TilingStrategy,
        region_request_queue: RegionQueue,
        region_request_table: RegionStore,
        endpoint_utils: ModelEndpoints,
        config: WorkerSettings,
        region_request_handler: ContextRegionHandler,
    ) -> None:
        super().__init__(
            replace(
                constructing(self),
                jobs=job_table,
                events=image_status_monitor,
                schedule=endpoint_statistics_table,
                tiling=tiling_strategy,
                region_queue=region_request_queue,
                regions=region_request_table,
                models=endpoint_utils,
                settings=config,
            ),
            region_request_handler,
        )
