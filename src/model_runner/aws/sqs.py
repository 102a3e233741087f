"""The SQS adapter: receive, delete, extend visibility, send, dead-letter."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from model_runner.aws.service_errors import aws_call
from model_runner.errors import ServiceError

_BATCH = 10


@dataclass(frozen=True)
class QueueMessage:
    """A received message: its body and the handle that deletes or extends it."""

    queue_url: str
    message_id: str
    receipt_handle: str
    body: str
    receive_count: int


class MessageQueue:
    """One SQS queue, reached through an injected boto3 SQS client."""

    def __init__(self, client: Any, url: str, dead_letter_url: str | None = None) -> None:
        self._client = client
        self.url = url
        self._dead_letter_url = dead_letter_url

    def receive(self, *, wait_s: int, visibility_s: int, max_messages: int = 1) -> list[QueueMessage]:
        """Long-poll for up to ``max_messages`` messages, hidden from others for ``visibility_s``."""
        with aws_call(f"receive from {self.url}"):
            answer = self._client.receive_message(
                QueueUrl=self.url,
                MaxNumberOfMessages=max_messages,
                WaitTimeSeconds=wait_s,
                VisibilityTimeout=visibility_s,
                MessageSystemAttributeNames=["ApproximateReceiveCount"],
            )
        return [
            QueueMessage(
                queue_url=self.url,
                message_id=item["MessageId"],
                receipt_handle=item["ReceiptHandle"],
                body=item["Body"],
                receive_count=int(item.get("Attributes", {}).get("ApproximateReceiveCount", "1")),
            )
            for item in answer.get("Messages", [])
        ]

    def delete(self, message: QueueMessage) -> None:
        """Remove a processed message for good."""
        with aws_call(f"delete message {message.message_id} from {self.url}"):
            self._client.delete_message(QueueUrl=self.url, ReceiptHandle=message.receipt_handle)

    def extend(self, message: QueueMessage, visibility_s: int) -> None:
        """Keep a message in progress hidden for another ``visibility_s`` seconds from now."""
        with aws_call(f"extend visibility of {message.message_id} on {self.url}"):
            self._client.change_message_visibility(
                QueueUrl=self.url, ReceiptHandle=message.receipt_handle, VisibilityTimeout=visibility_s
            )

    def release(self, message: QueueMessage, delay_s: int = 0) -> None:
        """Give a message back to the queue, visible again after ``delay_s`` seconds."""
        self.extend(message, delay_s)

    def send(self, body: Mapping[str, Any]) -> None:
        """Send one JSON message."""
        self.send_many([body])

    def send_many(self, bodies: Sequence[Mapping[str, Any]]) -> None:
        """Send JSON messages in batches of ten, resending any entry SQS did not accept."""
        for start in range(0, len(bodies), _BATCH):
            entries = [
                {"Id": str(index), "MessageBody": json.dumps(body)}
                for index, body in enumerate(bodies[start : start + _BATCH])
            ]
            while entries:
                with aws_call(f"send to {self.url}"):
                    answer = self._client.send_message_batch(QueueUrl=self.url, Entries=entries)
                failures = answer.get("Failed", [])
                refused = [item for item in failures if item.get("SenderFault")]
                if refused:
                    first = refused[0]
                    raise ServiceError(f"send to {self.url}: {first['Code']}: {first.get('Message')}")
                retry = {item["Id"] for item in failures}
                entries = [entry for entry in entries if entry["Id"] in retry]

    def dead_letter(self, message: QueueMessage) -> bool:
        """Move a message to the dead-letter queue now; False when there is none configured."""
        if self._dead_letter_url is None:
            return False
        with aws_call(f"move message {message.message_id} to {self._dead_letter_url}"):
            self._client.send_message(QueueUrl=self._dead_letter_url, MessageBody=message.body)
        self.delete(message)
        return True
