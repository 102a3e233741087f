"""The error a model call raises when a tile gets no successful answer."""

from __future__ import annotations

import logging
import re

from model_runner.errors import ModelRunnerError, QueueAction

logger = logging.getLogger(__name__)

_ERROR_NAME = re.compile(r"^\s*([A-Za-z][A-Za-z0-9]{0,63})\s*(?::|$)")
LOGGED_MESSAGE_CHARS = 1000


class ModelInvocationError(ModelRunnerError):
    """A model endpoint gave no successful answer for one tile, after every retry.

    The message is the reason a user reads. ``status`` is the last HTTP status, or None when no
    answer arrived (refused, timed out, TLS failure). A 4xx other than 429 means the request
    itself is wrong, and a 3xx a redirect the worker never follows, so retrying the message cannot
    help: their action is FAIL_JOB.
    """

    action = QueueAction.RETRY

    def __init__(self, reason: str, *, endpoint: str, status: int | None = None) -> None:
        super().__init__(reason)
        self.endpoint = endpoint
        self.status = status
        if status is not None and 300 <= status < 500 and status != 429:
            self.action = QueueAction.FAIL_JOB


def withheld_model_message(endpoint: str, message: str) -> str:
    """What a status may say of a model's own error message: its leading error name (such as
    ``ModelError``), if it has one. The message itself may hold anything the model or a service
    behind it answered, so it goes to the worker's log (operators only, credentials masked)."""
    if not message.strip():
        return "no reason given"
    logger.warning("%s answered: %.*s", endpoint, LOGGED_MESSAGE_CHARS, message)
    found = _ERROR_NAME.match(message)
    name = f"{found.group(1)}; " if found else ""
    return f"{name}the model's message is in the worker log"
