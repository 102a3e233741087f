"""The whole local stack: moto and models as processes, every resource, the worker's environment."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import pytest
import urllib3

from model_runner.config import load_settings
from model_runner.local import LocalStack, LocalStackError, ModelSpec, start_local_stack
from model_runner.resources import RESOURCES

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with start_local_stack(
        models={"centre": ModelSpec("centerpoint"), "flood": ModelSpec("flood")}
    ) as running:
        yield running


def test_load_settings_accepts_the_environment(stack: LocalStack) -> None:
    settings = load_settings(stack.env)

    assert settings.aws_endpoint_url == stack.endpoint_url
    assert settings.aws_region == "us-east-1"
    assert settings.image_status_topic is not None and settings.region_status_topic is not None
    assert stack.env["AWS_ACCESS_KEY_ID"] == stack.env["AWS_SECRET_ACCESS_KEY"] == "testing"


def test_every_resource_setting_is_in_the_environment(stack: LocalStack) -> None:
    settings = [
        *(table.setting for table in RESOURCES.tables),
        *(queue.setting for queue in RESOURCES.queues),
        *(queue.dead_letter_setting for queue in RESOURCES.queues if queue.dead_letter_setting),
        *(topic.setting for topic in RESOURCES.topics),
    ]

    assert set(settings) <= set(stack.env)


def test_tables_have_their_keys_and_ttl(stack: LocalStack) -> None:
    dynamodb = stack.boto3_client("dynamodb")
    for table in RESOURCES.tables:
        name = stack.env[table.setting]
        description = dynamodb.describe_table(TableName=name)["Table"]
        expected_keys = [{"AttributeName": table.partition_key.name, "KeyType": "HASH"}]
        if table.sort_key is not None:
            expected_keys.append({"AttributeName": table.sort_key.name, "KeyType": "RANGE"})
        assert description["KeySchema"] == expected_keys
        ttl = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        if table.ttl_attribute is None:
            assert ttl["TimeToLiveStatus"] == "DISABLED"
        else:
            assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", table.ttl_attribute)


def test_queues_redrive_to_their_dead_letter_queues(stack: LocalStack) -> None:
    sqs = stack.boto3_client("sqs")
    for queue in RESOURCES.queues:
        attributes = sqs.get_queue_attributes(QueueUrl=stack.env[queue.setting], AttributeNames=["All"])[
            "Attributes"
        ]
        dead_letter_url = sqs.get_queue_url(QueueName=queue.dead_letter_name)["QueueUrl"]
        dead_letter_arn = sqs.get_queue_attributes(QueueUrl=dead_letter_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        redrive = json.loads(attributes["RedrivePolicy"])
        assert redrive["deadLetterTargetArn"] == dead_letter_arn
        assert int(redrive["maxReceiveCount"]) == queue.max_receive_count
        assert int(attributes["VisibilityTimeout"]) == queue.visibility_timeout_s
        assert int(attributes["MessageRetentionPeriod"]) == queue.retention_s
        if queue.dead_letter_setting is not None:
            assert stack.env[queue.dead_letter_setting] == dead_letter_url


def test_a_message_received_too_often_moves_to_the_dead_letter_queue(stack: LocalStack) -> None:
    sqs = stack.boto3_client("sqs")
    queue = RESOURCES.queues[0]
    url = stack.env[queue.setting]
    sqs.send_message(QueueUrl=url, MessageBody="poison")

    for _ in range(queue.max_receive_count):
        (message,) = sqs.receive_message(QueueUrl=url, VisibilityTimeout=0)["Messages"]
    assert "Messages" not in sqs.receive_message(QueueUrl=url, VisibilityTimeout=0)

    dead_letter_url = sqs.get_queue_url(QueueName=queue.dead_letter_name)["QueueUrl"]
    (dead,) = sqs.receive_message(QueueUrl=dead_letter_url)["Messages"]
    assert dead["Body"] == message["Body"] == "poison"


def test_topics_buckets_and_active_streams_exist(stack: LocalStack) -> None:
    arns = {topic["TopicArn"] for topic in stack.boto3_client("sns").list_topics()["Topics"]}
    assert {stack.env[topic.setting] for topic in RESOURCES.topics} <= arns

    s3 = stack.boto3_client("s3")
    assert stack.buckets == tuple(bucket.name for bucket in RESOURCES.buckets)
    s3.put_object(Bucket=stack.buckets[0], Key="a/b.json", Body=b"{}")
    assert s3.get_object(Bucket=stack.buckets[0], Key="a/b.json")["Body"].read() == b"{}"

    kinesis = stack.boto3_client("kinesis")
    assert stack.streams == tuple(stream.name for stream in RESOURCES.streams)
    for stream in RESOURCES.streams:
        summary = kinesis.describe_stream_summary(StreamName=stream.name)["StreamDescriptionSummary"]
        assert (summary["StreamStatus"], summary["OpenShardCount"]) == ("ACTIVE", stream.shard_count)


def test_the_stack_serves_its_models(stack: LocalStack) -> None:
    http = urllib3.PoolManager()
    for name in ("centre", "flood"):
        url = stack.model_url(name)
        assert url.startswith("http://127.0.0.1:") and url.endswith("/invocations")
        assert http.request("GET", url.removesuffix("/invocations") + "/ping").status == 200
    with pytest.raises(LocalStackError, match="'centre', 'flood'"):
        stack.model_url("yolo")


def test_a_stopped_stack_leaves_no_process() -> None:
    with start_local_stack(models=["failure"]) as stack:
        assert set(stack.model_urls) == {"failure"}
        assert len(stack.pids) == 2
    for pid in stack.pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_a_transaction_is_all_or_nothing_on_the_moto_server(stack: LocalStack) -> None:
    dynamodb, table = stack.boto3_client("dynamodb"), stack.env["ENDPOINT_TABLE"]

    def put(item: str, **condition: str) -> dict[str, object]:
        key = {"endpoint": {"S": "tx"}, "item": {"S": item}}
        return {"Put": {"TableName": table, "Item": key, **condition}}

    dynamodb.transact_write_items(TransactItems=[put("kept")])
    absent = {"ConditionExpression": "attribute_not_exists(endpoint)"}
    with pytest.raises(dynamodb.exceptions.TransactionCanceledException):
        dynamodb.transact_write_items(TransactItems=[put("a"), put("b"), put("kept", **absent), put("c")])
    dynamodb.transact_write_items(TransactItems=[put("d"), put("e")])

    rows = dynamodb.query(
        TableName=table,
        KeyConditionExpression="endpoint = :key",
        ExpressionAttributeValues={":key": {"S": "tx"}},
    )["Items"]
    assert sorted(row["item"]["S"] for row in rows) == ["d", "e", "kept"]
