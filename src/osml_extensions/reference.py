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

from model_runner.config import WorkerSettings
from model_runner.handlers import HandlerContext
from model_runner.handlers import ImageRequestHandler as ContextImageHandler
from model_runner.handlers import RegionRequestHandler as ContextRegionHandler
from model_runner.handlers.ports import (
    EndpointSlots,
    EventSink,
    JobStore,
    ModelEndpoints,
    RegionQueue,
    RegionStore,
)
from model_runner.registry import constructing
from model_runner.tiling import TilingStrategy


class ReferenceAttributes:
    """The reference's names for the parts of the handler context."""

    context: HandlerContext

    @property
    def config(self) -> WorkerSettings:
        return self.context.settings

    @property
    def job_table(self) -> JobStore:
        return self.context.jobs

    @property
    def region_request_table(self) -> RegionStore:
        return self.context.regions

    @property
    def region_status_monitor(self) -> EventSink:
        return self.context.events

    @property
    def image_status_monitor(self) -> EventSink:
        return self.context.events

    @property
    def endpoint_statistics_table(self) -> EndpointSlots:
        return self.context.endpoint_slots

    @property
    def tiling_strategy(self) -> TilingStrategy:
        return self.context.tiling

    @property
    def endpoint_utils(self) -> ModelEndpoints:
        return self.context.models

    @property
    def region_request_queue(self) -> RegionQueue:
        return self.context.region_queue


class RegionRequestHandler(ReferenceAttributes, ContextRegionHandler):
    """The region handler as the reference constructs it."""

    def __init__(
        self,
        region_request_table: RegionStore,
        job_table: JobStore,
        region_status_monitor: EventSink,
        endpoint_statistics_table: EndpointSlots,
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
                endpoint_slots=endpoint_statistics_table,
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
        endpoint_statistics_table: EndpointSlots,
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
                endpoint_slots=endpoint_statistics_table,
                tiling=tiling_strategy,
                region_queue=region_request_queue,
                regions=region_request_table,
                models=endpoint_utils,
                settings=config,
            ),
            region_request_handler,
        )
