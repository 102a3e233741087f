"""The built-in extensions: the ``http``, ``sm_endpoint`` and ``async_sm_endpoint`` handler pairs,
and the observers that publish status to SNS, write structured logs and emit metrics.

They are registered through this project's own ``osml_extensions`` entry point (pyproject.toml),
the door third parties use, so ``model-runner extensions`` lists them with their source; they
only take free slots: an extension registered with ``override=True`` keeps its slot.
"""

from __future__ import annotations

from collections.abc import Iterable

from model_runner.aws.client_factory import ClientFactory
from model_runner.aws.sns import StatusTopic
from model_runner.config import WorkerSettings
from model_runner.handlers import ImageRequestHandler, RegionRequestHandler
from model_runner.handlers.sagemaker.asynchronous import (
    ASYNC_ENDPOINTS,
    ASYNC_REQUEST_TYPE,
    AsyncSageMakerImageHandler,
    AsyncSageMakerRegionHandler,
)
from model_runner.handlers.sagemaker.realtime import (
    SAGEMAKER_ENDPOINTS,
    SAGEMAKER_REQUEST_TYPE,
    SageMakerImageHandler,
    SageMakerRegionHandler,
)
from model_runner.observability import LogObserver, MetricsObserver, StatusPublisher
from model_runner.registry.registrations import BASE_REQUEST_TYPE, HandlerRegistry, HandlerType

BASE_ENDPOINTS = ("HTTP_ENDPOINT", "SM_ENDPOINT")


def register(registry: HandlerRegistry) -> None:
    """Register the built-in pairs and observers where nothing else did (idempotent)."""
    _register_pair(
        registry,
        BASE_REQUEST_TYPE,
        (RegionRequestHandler, "base_region_handler", "Tiles of a region through the model"),
        (ImageRequestHandler, "base_image_handler", "Splits each image into regions, fans them out"),
        BASE_ENDPOINTS,
    )
    _register_pair(
        registry,
        SAGEMAKER_REQUEST_TYPE,
        (SageMakerRegionHandler, "sm_endpoint_region_handler", "Regions whose model is a SageMaker endpoint"),
        (SageMakerImageHandler, "sm_endpoint_image_handler", "Images whose model is a SageMaker endpoint"),
        SAGEMAKER_ENDPOINTS,
    )
    _register_pair(
        registry,
        ASYNC_REQUEST_TYPE,
        (
            AsyncSageMakerRegionHandler,
            "async_sm_endpoint_region_handler",
            "Regions whose model is a SageMaker asynchronous endpoint (tile ledger, notifications)",
        ),
        (
            AsyncSageMakerImageHandler,
            "async_sm_endpoint_image_handler",
            "Images whose model is a SageMaker asynchronous endpoint",
        ),
        ASYNC_ENDPOINTS,
    )
    for observer, name, description in (
        (status_publisher, "sns_status", "image and region status to the SNS topics"),
        (LogObserver, "structured_logs", "one log record per event"),
        (cloudwatch_metrics, "cloudwatch_metrics", "EMF metrics (when METRICS_ENABLED)"),
    ):
        if name not in registry.observer_names():
            registry.register_observer(observer, name=name, description=description)


def status_publisher(config: WorkerSettings, clients: ClientFactory) -> StatusPublisher:
    """The status publisher on the configured image and region status topics (either may be unset)."""
    sns = clients("sns")
    return StatusPublisher(
        StatusTopic(sns, config.image_status_topic) if config.image_status_topic else None,
        StatusTopic(sns, config.region_status_topic) if config.region_status_topic else None,
    )


def cloudwatch_metrics(config: WorkerSettings) -> MetricsObserver | None:
    """The metrics observer, or None when METRICS_ENABLED is false."""
    return MetricsObserver(config.metrics_namespace) if config.metrics_enabled else None


def _register_pair(
    registry: HandlerRegistry,
    request_type: str,
    region: tuple[type, str, str],
    image: tuple[type, str, str],
    endpoints: Iterable[str],
) -> None:
    for handler_type, (handler_class, name, description) in (
        (HandlerType.REGION_REQUEST_HANDLER, region),
        (HandlerType.IMAGE_REQUEST_HANDLER, image),
    ):
        if not registry.is_registered(request_type, handler_type):
            registry.register(
                handler_class,
                request_type=request_type,
                handler_type=handler_type,
                name=name,
                supported_endpoints=endpoints,
                description=description,
            )
