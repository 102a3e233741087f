"""The SQS adapter against in-process moto: a message whose receipt is gone is told from a fault,
and sending keeps within SQS's batch limits."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from model_runner.aws.sqs import MAX_BATCH_BYTES, MessageGoneError, MessageQueue, MessageTooLargeError


@pytest.fixture
def sqs(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield boto3.client("sqs", region_name="us-east-1")


def test_a_message_of_a_purged_queue_is_gone_for_delete_and_extend(sqs: Any) -> None:
    queue = MessageQueue(sqs, sqs.create_queue(QueueName="purged")["QueueUrl"])
    queue.send({"job": 1})
    (message,) = queue.receive(wait_s=0, visibility_s=30)

    sqs.purge_queue(QueueUrl=queue.url)

    with pytest.raises(MessageGoneError):
        queue.extend(message, 30)
    with pytest.raises(MessageGoneError):
        queue.delete(message)


def test_large_bodies_are_sent_in_batches_under_the_size_limit_and_a_too_large_one_is_refused(
    sqs: Any,
) -> None:
    queue = MessageQueue(sqs, sqs.create_queue(QueueName="regions")["QueueUrl"])
    bodies = [{"region": index, "padding": "x" * 100_000} for index in range(5)]  # 500 kB in all

    queue.send_many(bodies)

    received = []
    while batch := queue.receive(wait_s=0, visibility_s=30, max_messages=10):
        received += [json.loads(message.body)["region"] for message in batch]
    assert sorted(received) == [0, 1, 2, 3, 4]
    with pytest.raises(MessageTooLargeError, match=f"more than SQS carries \\({MAX_BATCH_BYTES} bytes\\)"):
        queue.send_many([{"padding": "x" * MAX_BATCH_BYTES}])
