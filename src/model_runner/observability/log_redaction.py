"""No credential in any log line: a filter on the worker's log handler, and quiet wire loggers.

botocore and urllib3 log request headers (signatures, session tokens) and response bodies (STS
answers) at DEBUG; their loggers are kept at WARNING whatever LOG_LEVEL says. Every record that
reaches the handler, from any logger, is then rendered and masked by
:data:`~model_runner.security.REDACT` (message, exception text and structured fields) before a
formatter sees it.
"""

from __future__ import annotations

import logging
from typing import Any

from model_runner.security import REDACT

WIRE_LOGGERS = ("botocore", "boto3", "s3transfer", "urllib3")
"""Libraries that log requests and answers on the wire at DEBUG."""
_EXCEPTION_FORMATTER = logging.Formatter()


class RedactingFilter(logging.Filter):
    """Masks credentials in a record's message, exception and ``fields`` (the record is changed in
    place, so every handler after this one sees the masked text)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = REDACT(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = _EXCEPTION_FORMATTER.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = REDACT(record.exc_text)
        if record.stack_info:
            record.stack_info = REDACT(record.stack_info)
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            record.fields = {key: _masked(value) for key, value in fields.items()}
        return True


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        return REDACT(value)
    if isinstance(value, list | tuple):
        return [_masked(item) for item in value]
    if isinstance(value, dict):
        return {key: _masked(item) for key, item in value.items()}
    return value


def quiet_wire_loggers() -> None:
    """Keep the wire loggers at WARNING or above, whatever the root level."""
    for name in WIRE_LOGGERS:
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < logging.WARNING:
            logger.setLevel(logging.WARNING)
