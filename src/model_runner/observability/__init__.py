"""Observability: logs, metrics and status events, each an observer of the lifecycle events."""

from model_runner.observability.logs import JsonFormatter, LogObserver, configure_logging
from model_runner.observability.metrics import MetricsObserver
from model_runner.observability.status_publisher import StatusPublisher

__all__ = ["JsonFormatter", "LogObserver", "MetricsObserver", "StatusPublisher", "configure_logging"]
