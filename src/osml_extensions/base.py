"""The extension guide's convenience base class for region handlers: ``(config, table, monitor)``."""

from __future__ import annotations

from dataclasses import replace

from model_runner.config import WorkerSettings
from model_runner.handlers import RegionRequestHandler as ContextRegionHandler
from model_runner.handlers.ports import EventSink, RegionStore
from model_runner.registry import constructing
from osml_extensions.reference import ReferenceAttributes


class BaseRegionHandler(ReferenceAttributes, ContextRegionHandler):
    """A region handler built from the worker's settings, the region request table and the region
    status monitor (the registry passes ``table`` and ``monitor`` by those names); everything else
    comes from the worker building it."""

    def __init__(self, config: WorkerSettings, table: RegionStore, monitor: EventSink) -> None:
        super().__init__(replace(constructing(self), settings=config, regions=table, events=monitor))
