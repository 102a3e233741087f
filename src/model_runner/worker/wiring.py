"""Builds a worker from its settings: the AWS adapters, the shared services, the observers, and
the handler selector with every dependency a handler constructor may name."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from model_runner.api import ModelInvocationType
from model_runner.aws.clients import AwsClients
from model_runner.aws.detection_store import DetectionStore
from model_runner.aws.endpoint_statistics import EndpointStatisticsTable
from model_runner.aws.job_table import JobTable
from model_runner.aws.region_table import RegionTable
from model_runner.aws.sqs import MessageQueue
from model_runner.config import WorkerSettings
from model_runner.events import EventBus, Observer
from model_runner.handlers.image_completion import ImageCompletion
from model_runner.imagery import ImageCache
from model_runner.imagery.gdal_runtime import limit_block_cache
from model_runner.inference.detectors import EndpointUtils
from model_runner.inference.http_client import HttpModelClient
from model_runner.inference.http_policy import HttpCallPolicy
from model_runner.inference.sagemaker import Backoff, SageMakerDetectors
from model_runner.inference.tls import ca_bundle_from
from model_runner.metric_catalog import EXTENSION_FALLBACKS
from model_runner.observability import MetricsObserver
from model_runner.tiling import GridTilingStrategy
from model_runner.worker.loop import Worker
from osml_extensions.discovery import load_extensions
from osml_extensions.errors import ExtensionError
from osml_extensions.observers import build_observers
from osml_extensions.registry import BASE_REQUEST_TYPE, get_registry
from osml_extensions.sagemaker.async_inference import AsyncInference
from osml_extensions.selection import HandlerSelector

logger = logging.getLogger(__name__)


@dataclass
class WorkerRuntime:
    """A built worker and the services it shares, so callers (the demo, tests) can reach them."""

    worker: Worker
    settings: WorkerSettings
    clients: AwsClients
    events: EventBus
    image_cache: ImageCache
    selector: HandlerSelector
    providers: Mapping[str, Any]
    shutdown: threading.Event

    def close(self) -> None:
        """Release the open images and pooled connections."""
        self.image_cache.close()
        self.providers["http_client"].close()


def build_worker(
    settings: WorkerSettings,
    *,
    request_type: str | None = None,
    shutdown: threading.Event | None = None,
    observers: Iterable[Observer] = (),
    environ: Mapping[str, str] | None = None,
) -> WorkerRuntime:
    """Everything a worker needs, built once.

    Raises:
        ExtensionError: an extension failed to load or its pair cannot be built, and
            EXTENSION_FALLBACK_ENABLED is false.
    """
    shutdown = shutdown or threading.Event()
    limit_block_cache(settings.gdal_cache_mb)
    clients = AwsClients(settings, max_pool_connections=settings.tile_workers + 8)
    dynamodb, sqs = clients.client("dynamodb"), clients.client("sqs")
    metrics = MetricsObserver(settings.metrics_namespace)
    events = EventBus()
    job_table = JobTable(dynamodb, settings.job_table, settings.ddb_ttl_days)
    image_cache = ImageCache(clients)
    detection_store = DetectionStore(clients.client("s3"), settings.workspace_bucket)
    region_table = RegionTable(dynamodb, settings.region_request_table, settings.ddb_ttl_days)
    completion = ImageCompletion(
        job_table, region_table, detection_store, events, clients.client, image_cache
    )
    http_client = HttpModelClient(
        HttpCallPolicy.from_settings(settings),
        ca_bundle=ca_bundle_from(os.environ if environ is None else environ),
    )
    region_queue = MessageQueue(sqs, settings.region_queue, settings.region_dlq)
    endpoint_utils = EndpointUtils(http_client)
    sagemaker_endpoints = SageMakerDetectors(
        clients.client, Backoff.from_policy(HttpCallPolicy.from_settings(settings))
    )
    endpoint_utils.support(ModelInvocationType.SM_ENDPOINT, sagemaker_endpoints)
    providers: dict[str, Any] = {
        "config": settings,
        "job_table": job_table,
        "region_request_table": region_table,
        "region_status_monitor": events,
        "image_status_monitor": events,
        "endpoint_statistics_table": EndpointStatisticsTable(dynamodb, settings.endpoint_table),
        "tiling_strategy": GridTilingStrategy(),
        "region_request_queue": region_queue,
        "endpoint_utils": endpoint_utils,
        "image_cache": image_cache,
        "detection_store": detection_store,
        "image_completion": completion,
        "shutdown": shutdown,
        "events": events,
        "clients": clients,
        "http_client": http_client,
        "async_inference": AsyncInference.from_settings(settings, clients.client),
    }

    def count_fallback(extension: str, error: ExtensionError) -> None:
        metrics.count(EXTENSION_FALLBACKS)

    report = load_extensions(settings.extension_modules)
    if report.failures and not settings.extension_fallback_enabled:
        raise report.failures[0]
    for failure in report.failures:
        count_fallback("(import)", failure)
    for observer in [
        *build_observers(
            get_registry(),
            providers,
            fallback_enabled=settings.extension_fallback_enabled,
            on_skip=count_fallback,
        ),
        *observers,
    ]:
        events.subscribe(observer)
    selector = HandlerSelector(
        get_registry(),
        providers,
        use_extensions=settings.use_extensions,
        fallback_enabled=settings.extension_fallback_enabled,
        on_fallback=count_fallback,
    )
    _build_configured_pair(selector, request_type or settings.request_type)
    worker = Worker(
        settings,
        MessageQueue(sqs, settings.image_queue, settings.image_dlq),
        region_queue,
        selector,
        completion,
        shutdown,
        request_type=request_type,
    )
    return WorkerRuntime(worker, settings, clients, events, image_cache, selector, providers, shutdown)


def _build_configured_pair(selector: HandlerSelector, request_type: str | None) -> None:
    """Build the configured pair now, so a broken extension stops start-up (or falls back loudly)."""
    try:
        selector.pair(request_type or BASE_REQUEST_TYPE)
    except ExtensionError:
        logger.error("the %r handler pair cannot be used", request_type or BASE_REQUEST_TYPE)
        raise
