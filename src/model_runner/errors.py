"""The one error root of the worker, and what each error means for the queue message.

Every error the worker raises derives from :class:`ModelRunnerError` and names the
:class:`QueueAction` the worker loop takes for the message that led to it.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence


class QueueAction(enum.Enum):
    """What the worker loop does with a message whose processing raised."""

    RETRY = "retry"
    """Leave the message on the queue: it becomes visible again and is retried (transient faults)."""

    DEAD_LETTER = "dead_letter"
    """Move the message to the dead-letter queue now: it can never be processed (unreadable body)."""

    FAIL_JOB = "fail_job"
    """Record the job or region FAILED with the reason and delete the message (bad input)."""


class ModelRunnerError(Exception):
    """Root of every error the worker raises on purpose."""

    action: QueueAction = QueueAction.RETRY


class ConfigurationError(ModelRunnerError):
    """The worker's settings are missing or invalid; raised at start-up, before any message."""

    action = QueueAction.RETRY

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(self.problems))


class InvalidRequestError(ModelRunnerError):
    """A request message is well-formed JSON with an identifiable job, but its values are wrong."""

    action = QueueAction.FAIL_JOB

    def __init__(self, problems: Sequence[str], job_id: str | None = None) -> None:
        self.problems = tuple(problems)
        self.job_id = job_id
        super().__init__("; ".join(self.problems))


class UnreadableMessageError(ModelRunnerError):
    """A message body that is not JSON, or names no job: no status can be recorded for it."""

    action = QueueAction.DEAD_LETTER


class ImageReadError(ModelRunnerError):
    """The image cannot be opened or read (missing, unsupported, access denied)."""

    action = QueueAction.FAIL_JOB


class ServiceError(ModelRunnerError):
    """An AWS service call failed in a way that may succeed later (throttling, 5xx, network)."""

    action = QueueAction.RETRY


class ResourceNotFoundError(ModelRunnerError):
    """A queue, table, topic, bucket or stream named by the settings or the request does not exist."""

    action = QueueAction.FAIL_JOB


class ImageUnavailableError(ServiceError):
    """The image could not be reached for now (no answer in time, connection reset, S3 5xx): the
    work is given back to the queue rather than recorded as failed pixels."""


class DeferredError(ModelRunnerError):
    """The message is given back to the queue to be processed later: not a failure, so it never
    counts towards MAX_RECEIVES (a worker stopping, another worker completing the same image)."""

    action = QueueAction.RETRY

    def __init__(self, message: str, delay_s: int = 0) -> None:
        self.delay_s = delay_s
        super().__init__(message)
