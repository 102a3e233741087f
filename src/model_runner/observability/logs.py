"""Logs: JSON log lines, and an observer logging every lifecycle event as one structured record."""

from __future__ import annotations

import dataclasses
import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

from model_runner.config import WorkerSettings
from model_runner.events import (
    EndpointThrottled,
    JobCompleted,
    JobFailed,
    LifecycleEvent,
    RegionCompleted,
    TileFailed,
)
from model_runner.observability.log_redaction import RedactingFilter, quiet_wire_loggers

logger = logging.getLogger("model_runner.events")


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message and any ``fields`` extra."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": utc_time(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_text:
            entry["exception"] = record.exc_text
        elif record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def utc_time(created: float) -> str:
    """``2026-01-31T12:34:56.789Z``: UTC, to the millisecond."""
    return datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def configure_logging(settings: WorkerSettings, stream: TextIO = sys.stderr) -> None:
    """Send the worker's logs to ``stream`` in the configured format and level, credentials masked
    and the AWS and HTTP libraries' wire logs off (see :mod:`.log_redaction`)."""
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
    quiet_wire_loggers()


class LogObserver:
    """Logs every lifecycle event as one structured record."""

    def on_event(self, event: LifecycleEvent) -> None:
        fields = {"event": type(event).__name__, **dataclasses.asdict(event)}
        level = logging.WARNING if isinstance(event, TileFailed | JobFailed) else logging.INFO
        if isinstance(event, EndpointThrottled):  # every scheduling cycle of a busy endpoint
            level = logging.DEBUG
        logger.log(level, "%s", describe(event), extra={"fields": fields})


def describe(event: LifecycleEvent) -> str:
    """One line saying what happened, with the reason of a failure: ``TileFailed job-1 image
    <image id>: tile x0-y0-w512-h512: HTTP 500 ...`` (the structured fields hold every id)."""
    match event:
        case TileFailed():
            return f"TileFailed {event.job_id} image {event.image_id}: {event.reason}"
        case JobFailed():
            return f"JobFailed {event.job_id} image {event.image_id}: {event.reason}"
        case RegionCompleted():
            failed = f"{event.status.value}, {event.failed_tiles}/{event.total_tiles} tiles failed"
            first = f" ({event.failures[0]})" if event.failures else ""
            return f"RegionCompleted {event.job_id} region {event.region_id}: {failed}{first}"
        case JobCompleted():
            return (
                f"JobCompleted {event.job_id} image {event.image_id}: {event.status.value}, {event.message}"
            )
        case EndpointThrottled():
            return (
                f"EndpointThrottled {event.endpoint}: {event.waiting} regions wait, "
                f"{event.used} of {event.target} calls in use"
            )
        case _:
            return f"{type(event).__name__} {event.job_id} image {event.image_id}"
