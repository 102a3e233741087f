"""The SNS adapter: status events as a text body with String message attributes."""

from __future__ import annotations

from typing import Any

from model_runner.aws.service_errors import aws_call
from model_runner.status import StatusEvent


class StatusTopic:
    """One SNS topic receiving image or region status events."""

    def __init__(self, client: Any, topic_arn: str) -> None:
        self._client = client
        self.topic_arn = topic_arn

    def publish(self, event: StatusEvent) -> None:
        """Publish one event; consumers filter on its attributes (status, job_id, image_id, ...)."""
        attributes = {
            name: {"DataType": "String", "StringValue": value} for name, value in event.attributes().items()
        }
        with aws_call(f"publish {event.subject} status to {self.topic_arn}"):
            self._client.publish(TopicArn=self.topic_arn, Message=event.message, MessageAttributes=attributes)
