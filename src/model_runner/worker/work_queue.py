"""What the loop needs of a source of work: an SQS queue, or the scheduler's table of regions."""

from __future__ import annotations

from typing import Protocol

from model_runner.aws.sqs import QueueMessage


class WorkQueue(Protocol):
    """Receive, keep, settle. Methods raise MessageGoneError when the message (or lease) is gone."""

    @property
    def url(self) -> str: ...

    def receive(self, *, wait_s: int, visibility_s: int, max_messages: int = 1) -> list[QueueMessage]: ...

    def delete(self, message: QueueMessage) -> None: ...

    def extend(self, message: QueueMessage, visibility_s: int) -> None: ...

    def release(self, message: QueueMessage, delay_s: int = 0) -> None: ...

    def dead_letter(self, message: QueueMessage) -> bool: ...
