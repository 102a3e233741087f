"""The guide's convenience base class for region handlers: a three-parameter constructor."""

from __future__ import annotations

from typing import Any

from model_runner.aws.job_table import JobTable
from model_runner.aws.region_table import RegionTable
from model_runner.config import WorkerSettings
from model_runner.events import EventBus
from model_runner.handlers import RegionRequestHandler
from model_runner.handlers.dependencies import resolve
from model_runner.inference.detectors import EndpointUtils
from model_runner.tiling import TilingStrategy


class BaseRegionHandler(RegionRequestHandler):
    """A region handler built from ``(config, table, monitor)``: the region request table and the
    region status monitor; every other collaborator comes from the worker building it.

    The registry passes ``table`` and ``monitor`` by those names when it builds a region handler.
    """

    def __init__(self, config: WorkerSettings, table: RegionTable, monitor: EventBus) -> None:
        job_table: JobTable = resolve(self, "job_table", None)
        statistics: Any = resolve(self, "endpoint_statistics_table", None)
        tiling_strategy: TilingStrategy = resolve(self, "tiling_strategy", None)
        endpoint_utils: EndpointUtils = resolve(self, "endpoint_utils", None)
        super().__init__(
            region_request_table=table,
            job_table=job_table,
            region_status_monitor=monitor,
            endpoint_statistics_table=statistics,
            tiling_strategy=tiling_strategy,
            endpoint_utils=endpoint_utils,
            config=config,
        )
