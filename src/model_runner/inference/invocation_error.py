"""The error a model call raises when a tile gets no successful answer."""

from __future__ import annotations

from model_runner.errors import ModelRunnerError, QueueAction


class ModelInvocationError(ModelRunnerError):
    """A model endpoint gave no successful answer for one tile, after every retry.

    The message is the reason a user reads. ``status`` is the last HTTP status, or None when no
    answer arrived (refused, timed out, TLS failure). A 4xx other than 429 means the request
    itself is wrong, so retrying the message cannot help: its action is FAIL_JOB.
    """

    action = QueueAction.RETRY

    def __init__(self, reason: str, *, endpoint: str, status: int | None = None) -> None:
        super().__init__(reason)
        self.endpoint = endpoint
        self.status = status
        if status is not None and 400 <= status < 500 and status != 429:
            self.action = QueueAction.FAIL_JOB
