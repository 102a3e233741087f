"""Builds a worker from its settings: the adapters behind the handler context, the observers, and
the handler selector over the registry."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from model_runner.api import ModelInvocationType
from model_runner.aws.clients import AwsClients
from model_runner.aws.detection_store import DetectionStore
from model_runner.aws.job_table import JobTable
from model_runner.aws.region_schedule import RegionScheduleTable
from model_runner.aws.region_table import RegionTable
from model_runner.aws.sqs import MessageQueue
from model_runner.config import WorkerSettings
from model_runner.events import EventBus, Observer
from model_runner.handlers import HandlerContext
from model_runner.handlers.image_completion import ImageCompletion
from model_runner.imagery import ImageCache
from model_runner.imagery.elevation import ElevationModel, TileNames
from model_runner.imagery.gdal_hardening import harden_gdal
from model_runner.imagery.gdal_runtime import bound_http_reads, fetch_blocks_at_once, limit_block_cache
from model_runner.inference.detectors import EndpointUtils
from model_runner.inference.endpoint_capacity import EndpointCapacities
from model_runner.inference.http_client import HttpModelClient
from model_runner.inference.http_policy import HttpCallPolicy
from model_runner.inference.sagemaker import SageMakerDetectors
from model_runner.inference.tls import ca_bundle_from
from model_runner.observability import MetricsObserver
from model_runner.observability.metric_catalog import EXTENSION_FALLBACKS
from model_runner.observability.tracing import NoTracer, XRayTracer
from model_runner.registry import (
    ExtensionError,
    HandlerSelector,
    build_observers,
    builtin_request_type,
    get_registry,
    load_extension_settings,
    load_extensions,
)
from model_runner.sinks import RequestSinks
from model_runner.tiling import GridTilingStrategy
from model_runner.worker.fan_out import ScheduledFanOut
from model_runner.worker.intake import RequestIntake
from model_runner.worker.loop import Worker
from model_runner.worker.memory import cap_heap_arenas
from model_runner.worker.progress import ProgressMonitor
from model_runner.worker.scheduler import ScheduledRegions

logger = logging.getLogger(__name__)


@dataclass
class WorkerRuntime:
    """A built worker and the services it shares, so callers (the demo, tests) can reach them."""

    worker: Worker
    context: HandlerContext
    clients: AwsClients
    events: EventBus
    image_cache: ImageCache
    selector: HandlerSelector
    http_client: HttpModelClient

    @property
    def settings(self) -> WorkerSettings:
        return self.context.settings

    @property
    def shutdown(self) -> threading.Event:
        return self.context.shutdown

    def close(self, timeout_s: float = 10.0) -> None:
        """Deliver the events still queued (for at most ``timeout_s``) and end the observers'
        threads, release the open images and pooled connections."""
        self.events.close(timeout_s=timeout_s)
        self.image_cache.close()
        self.http_client.close()


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
        ConfigurationError: an extension's own settings are missing or invalid.
    """
    limit_block_cache(settings.gdal_cache_mb)
    cap_heap_arenas()
    bound_http_reads(
        settings.image_connect_timeout_s, settings.image_read_timeout_s, settings.image_max_retries
    )
    fetch_blocks_at_once(settings.fetch_bytes)
    harden_gdal()
    clients = AwsClients(settings, max_pool_connections=settings.tile_workers + 8)
    dynamodb, sqs = clients.client("dynamodb"), clients.client("sqs")
    if settings.scheduler_throttling_enabled:
        for service in ("sagemaker", "sagemaker-runtime"):  # built now, not in the first cycle and region
            clients.client(service)
    policy = HttpCallPolicy.from_settings(settings)
    intake = RequestIntake.from_settings(settings)
    http_client = HttpModelClient(
        policy,
        endpoints=intake.endpoints,
        ca_bundle=ca_bundle_from(os.environ if environ is None else environ),
    )
    sagemaker = SageMakerDetectors(
        clients.client, policy.backoff(), description_ttl_s=settings.capacity_cache_s
    )
    models = EndpointUtils(http_client)
    models.support(ModelInvocationType.SM_ENDPOINT, sagemaker)
    image_cache = ImageCache(
        clients,
        intake.locations,
        elevation=_elevation_model(settings, clients),
        s3_endpoint=settings.image_s3_endpoint_url,
        read_strips=settings.image_read_strips,
        reads_at_once=settings.image_read_bands_at_once,
    )
    events = EventBus()
    progress = ProgressMonitor(settings.stall_timeout_s)
    schedule = RegionScheduleTable(dynamodb, settings.endpoint_table, settings.ddb_ttl_days)
    capacity = EndpointCapacities(
        sagemaker.variants,
        instance_concurrency=settings.default_instance_concurrency,
        http_concurrency=settings.default_http_endpoint_concurrency,
    )
    region_queue = MessageQueue(sqs, settings.region_queue, settings.region_dlq)
    tiling = GridTilingStrategy()
    context = HandlerContext(
        settings=settings,
        jobs=JobTable(dynamodb, settings.job_table, settings.ddb_ttl_days),
        regions=RegionTable(dynamodb, settings.region_request_table, settings.ddb_ttl_days),
        region_queue=ScheduledFanOut(schedule, region_queue, tiling)
        if settings.scheduler_throttling_enabled
        else region_queue,
        workspace=DetectionStore(clients.client("s3"), settings.workspace_bucket),
        images=image_cache,
        models=models,
        capacity=capacity,
        schedule=schedule,
        tiling=tiling,
        sinks=RequestSinks(clients.client),
        events=events,
        clients=clients.client,
        shutdown=shutdown or threading.Event(),
        progress=progress.mark,
        tracer=XRayTracer(settings.tracing_daemon_address) if settings.tracing_enabled else NoTracer(),
    )
    metrics = MetricsObserver(settings.metrics_namespace)

    def count_fallback(extension: str, error: ExtensionError) -> None:
        metrics.count(EXTENSION_FALLBACKS)

    registry = get_registry()
    report = load_extensions(settings.extension_modules, registry=registry)
    if report.failures and not settings.extension_fallback_enabled:
        raise report.failures[0]
    for failure in report.failures:
        count_fallback("(import)", failure)
    blocklist = settings.extension_blocklist
    extension_settings = load_extension_settings(registry, blocklist)
    registered = build_observers(
        registry,
        context,
        fallback_enabled=settings.extension_fallback_enabled,
        blocklist=blocklist,
        extension_settings=extension_settings,
        on_skip=count_fallback,
    )
    for name, observer in [*registered, *((type(observer).__name__, observer) for observer in observers)]:
        events.subscribe(observer, name)
    selector = HandlerSelector(
        registry,
        context,
        use_extensions=settings.use_extensions,
        fallback_enabled=settings.extension_fallback_enabled,
        blocklist=blocklist,
        extension_settings=extension_settings,
        on_fallback=count_fallback,
    )
    _build_configured_pair(
        selector, request_type or settings.request_type, settings.extension_fallback_enabled
    )
    worker = Worker(
        settings,
        MessageQueue(sqs, settings.image_queue, settings.image_dlq),
        MessageQueue(sqs, settings.region_queue, settings.region_dlq),
        selector,
        ImageCompletion(context),
        events,
        context.shutdown,
        request_type=request_type,
        progress=progress,
        intake=intake,
        scheduled=ScheduledRegions(schedule, capacity, settings, events, context.worker_id)
        if settings.scheduler_throttling_enabled
        else None,
    )
    return WorkerRuntime(worker, context, clients, events, image_cache, selector, http_client)


def _elevation_model(settings: WorkerSettings, clients: AwsClients) -> ElevationModel | None:
    """The configured DEM (ELEVATION_DATA_*), read with the worker's own credentials, if any."""
    location = settings.elevation_data_location
    if not location:
        return None
    remote = location.startswith("s3://")
    return ElevationModel.at(
        TileNames(location, settings.elevation_data_version, settings.elevation_data_extension),
        credentials=clients.credentials() if remote else None,
        s3_endpoint=clients.endpoint_url if remote else None,
    )


def _build_configured_pair(selector: HandlerSelector, request_type: str | None, fallback: bool) -> None:
    """Build the configured pair now, so a broken extension stops start-up (or is reported at once,
    when requests may fall back to the built-in pairs)."""
    wanted = request_type or builtin_request_type(None)
    try:
        selector.pair(wanted)
    except ExtensionError as error:
        if not fallback:
            logger.error("the %r handler pair cannot be used", wanted)
            raise
        logger.warning("the %r handler pair cannot be used; requests fall back: %s", wanted, error)
