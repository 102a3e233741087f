"""The SNS adapter: status events as a text body with String message attributes."""

from __future__ import annotations

from typing import Any

from model_runner.aws.service_errors import aws_call
from model_runner.backoff import Backoff
from model_runner.errors import ServiceError
from model_runner.status import StatusEvent

PUBLISH_BACKOFF = Backoff(max_attempts=6, base_s=1.0, cap_s=15.0)
"""A status event outlives an SNS outage of about a minute (each attempt also has botocore's own)."""


class StatusTopic:
    """One SNS topic receiving image or region status events."""

    def __init__(self, client: Any, topic_arn: str, backoff: Backoff = PUBLISH_BACKOFF) -> None:
        self._client = client
        self.topic_arn = topic_arn
        self._backoff = backoff

    def publish(self, event: StatusEvent) -> None:
        """Publish one event; consumers filter on its attributes (status, job_id, image_id, ...).

        Transient failures are retried with backoff (on the status observer's own thread).
        """
        attributes = {
            name: {"DataType": "String", "StringValue": value} for name, value in event.attributes().items()
        }
        for attempt in range(1, self._backoff.max_attempts + 1):
            try:
                with aws_call(f"publish {event.subject} status to {self.topic_arn}"):
                    self._client.publish(
                        TopicArn=self.topic_arn, Message=event.message, MessageAttributes=attributes
                    )
                return
            except ServiceError:
                if attempt == self._backoff.max_attempts:
                    raise
                self._backoff.wait(attempt)
