"""The SQS adapter: receive, delete, extend visibility, send, dead-letter."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from model_runner.aws.batches import batches
from model_runner.aws.service_errors import aws_call, error_code
from model_runner.backoff import Backoff
from model_runner.errors import ModelRunnerError, QueueAction, ServiceError

_BATCH = 10
MAX_BATCH_BYTES = 256 * 1024
"""SQS's limit on one message, and on the bodies of one SendMessageBatch together."""
_GONE_CODES = {"ReceiptHandleIsInvalid", "AWS.SimpleQueueService.MessageNotInflight", "MessageNotInflight"}


class MessageGoneError(ModelRunnerError):
    """The message is no longer on its queue for this receipt (deleted, purged, its receipt
    expired): nothing can be done with it any more, and nothing needs to be."""


class MessageTooLargeError(ModelRunnerError):
    """A message body is larger than SQS carries: the request that made it asks too much."""

    action = QueueAction.FAIL_JOB


@contextmanager
def _with_receipt(what: str) -> Iterator[None]:
    """:func:`aws_call` for calls on a receipt handle: a receipt that is gone is MessageGoneError."""
    try:
        with aws_call(what):
            yield
    except ServiceError as error:
        cause = error.__cause__
        if isinstance(cause, ClientError) and _receipt_gone(cause):
            raise MessageGoneError(str(error)) from cause
        raise


def _receipt_gone(error: ClientError) -> bool:
    code = error_code(error)
    message = str(error.response.get("Error", {}).get("Message", ""))
    return code in _GONE_CODES or (code == "InvalidParameterValue" and "ReceiptHandle" in message)


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

    def __init__(
        self, client: Any, url: str, dead_letter_url: str | None = None, backoff: Backoff | None = None
    ) -> None:
        self._client = client
        self.url = url
        self._dead_letter_url = dead_letter_url
        self._backoff = backoff or Backoff()

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
        """Remove a processed message for good (MessageGoneError: it already is)."""
        with _with_receipt(f"delete message {message.message_id} from {self.url}"):
            self._client.delete_message(QueueUrl=self.url, ReceiptHandle=message.receipt_handle)

    def extend(self, message: QueueMessage, visibility_s: int) -> None:
        """Keep a message in progress hidden for another ``visibility_s`` seconds from now
        (MessageGoneError: it is no longer on the queue)."""
        with _with_receipt(f"extend visibility of {message.message_id} on {self.url}"):
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
        """Send JSON messages in batches of at most ten and 256 KiB, resending any entry SQS did
        not accept.

        Raises:
            MessageTooLargeError: a body is larger than SQS carries.
        """
        texts = [json.dumps(body) for body in bodies]
        for batch in batches(texts, _message_bytes, most_items=_BATCH, most_bytes=MAX_BATCH_BYTES):
            entries = [{"Id": str(index), "MessageBody": text} for index, text in enumerate(batch)]
            for attempt in range(1, self._backoff.max_attempts + 1):
                if attempt > 1:
                    self._backoff.wait(attempt - 1)
                with aws_call(f"send to {self.url}"):
                    answer = self._client.send_message_batch(QueueUrl=self.url, Entries=entries)
                failures = answer.get("Failed", [])
                refused = [item for item in failures if item.get("SenderFault")]
                if refused:
                    first = refused[0]
                    raise ServiceError(f"send to {self.url}: {first['Code']}: {first.get('Message')}")
                retry = {item["Id"] for item in failures}
                entries = [entry for entry in entries if entry["Id"] in retry]
                if not entries:
                    break
            else:
                raise ServiceError(f"send to {self.url}: {len(entries)} messages still refused")

    def dead_letter(self, message: QueueMessage) -> bool:
        """Move a message to the dead-letter queue now; False when there is none configured."""
        if self._dead_letter_url is None:
            return False
        with aws_call(f"move message {message.message_id} to {self._dead_letter_url}"):
            self._client.send_message(QueueUrl=self._dead_letter_url, MessageBody=message.body)
        self.delete(message)
        return True


def _message_bytes(text: str) -> int:
    length = len(text.encode())
    if length > MAX_BATCH_BYTES:
        raise MessageTooLargeError(
            f"a message of {length} bytes is more than SQS carries ({MAX_BATCH_BYTES} bytes)"
        )
    return length
