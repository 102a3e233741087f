"""Logs: JSON log lines, and an observer logging every lifecycle event as one structured record."""

from __future__ import annotations

import dataclasses
import json
import logging
import sys
from typing import Any, TextIO

from model_runner.config import WorkerSettings
from model_runner.events import JobFailed, LifecycleEvent, TileFailed
from model_runner.observability.log_redaction import RedactingFilter, quiet_wire_loggers

logger = logging.getLogger("model_runner.events")


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message and any ``fields`` extra."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
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
        logger.log(level, "%s %s", type(event).__name__, event.image_id, extra={"fields": fields})
