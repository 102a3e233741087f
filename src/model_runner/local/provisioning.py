"""Create every resource of a :class:`~model_runner.resources.ResourceSet` on an AWS endpoint."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, cast

from botocore.exceptions import ClientError, WaiterError

from model_runner.local.aws import AwsEndpoint
from model_runner.local.processes import LocalStackError
from model_runner.resources import IndexSpec, Key, QueueSpec, ResourceSet, TableSpec

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3.literals import BucketLocationConstraintType
    from mypy_boto3_sqs import SQSClient

"""Dead-letter queues keep messages as long as SQS allows, for people to look at them."""


@dataclass(frozen=True)
class Provisioned:
    """What was created: each resource's address under its setting's variable, and the names
    of the buckets and streams (which requests name, not settings)."""

    settings: dict[str, str]
    buckets: tuple[str, ...]
    streams: tuple[str, ...]


def provision(endpoint: AwsEndpoint, resources: ResourceSet) -> Provisioned:
    """Create the tables, queues (with dead-letter queues), topics, buckets and streams.

    Raises:
        LocalStackError: the endpoint refused a resource.
    """
    try:
        return _provision(endpoint, resources)
    except (ClientError, WaiterError) as error:
        raise LocalStackError(f"cannot provision the local resources: {error}") from error


def _provision(endpoint: AwsEndpoint, resources: ResourceSet) -> Provisioned:
    settings: dict[str, str] = {}
    dynamodb = endpoint.boto3_client("dynamodb")
    for table in resources.tables:
        settings[table.setting] = create_table(dynamodb, table)
    sqs = endpoint.boto3_client("sqs")
    for queue in resources.queues:
        settings.update(_create_queue(sqs, queue))
    sns = endpoint.boto3_client("sns")
    for topic in resources.topics:
        settings[topic.setting] = sns.create_topic(Name=topic.name)["TopicArn"]
    s3 = endpoint.boto3_client("s3")
    for bucket in resources.buckets:
        if bucket.setting is not None:
            settings[bucket.setting] = bucket.name
        if endpoint.region == "us-east-1":
            s3.create_bucket(Bucket=bucket.name)
        else:
            location = cast("BucketLocationConstraintType", endpoint.region)
            s3.create_bucket(Bucket=bucket.name, CreateBucketConfiguration={"LocationConstraint": location})
    kinesis = endpoint.boto3_client("kinesis")
    for stream in resources.streams:
        kinesis.create_stream(StreamName=stream.name, ShardCount=stream.shard_count)
    for stream in resources.streams:
        kinesis.get_waiter("stream_exists").wait(
            StreamName=stream.name, WaiterConfig={"Delay": 1, "MaxAttempts": 30}
        )
    return Provisioned(
        settings=settings,
        buckets=tuple(bucket.name for bucket in resources.buckets),
        streams=tuple(stream.name for stream in resources.streams),
    )


def create_table(dynamodb: DynamoDBClient, table: TableSpec) -> str:
    attributes = {key.name: key.type for key in _keys_of(table)}
    for index in table.indexes:
        attributes.update({key.name: key.type for key in _keys_of(index)})
    indexes: dict[str, Any] = {}
    if table.indexes:
        indexes["GlobalSecondaryIndexes"] = [
            {
                "IndexName": index.name,
                "KeySchema": _key_schema(index),
                "Projection": {"ProjectionType": "ALL"},
            }
            for index in table.indexes
        ]
    dynamodb.create_table(
        TableName=table.name,
        KeySchema=_key_schema(table),
        AttributeDefinitions=[
            {"AttributeName": name, "AttributeType": kind} for name, kind in attributes.items()
        ],
        BillingMode="PAY_PER_REQUEST",
        **indexes,
    )
    if table.ttl_attribute is not None:
        dynamodb.update_time_to_live(
            TableName=table.name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": table.ttl_attribute},
        )
    return table.name


def _keys_of(keyed: TableSpec | IndexSpec) -> list[Key]:
    return [keyed.partition_key] + ([keyed.sort_key] if keyed.sort_key is not None else [])


def _key_schema(keyed: TableSpec | IndexSpec) -> list[Any]:
    """The partition key is HASH, the sort key (if any) RANGE."""
    roles: tuple[Literal["HASH", "RANGE"], ...] = ("HASH", "RANGE")
    return [
        {"AttributeName": key.name, "KeyType": role}
        for key, role in zip(_keys_of(keyed), roles, strict=False)
    ]


def _create_queue(sqs: SQSClient, queue: QueueSpec) -> dict[str, str]:
    dead_letter_url = sqs.create_queue(
        QueueName=queue.dead_letter_name,
        Attributes={"MessageRetentionPeriod": str(queue.dead_letter_retention_s)},
    )["QueueUrl"]
    dead_letter_arn = sqs.get_queue_attributes(QueueUrl=dead_letter_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    redrive = {"deadLetterTargetArn": dead_letter_arn, "maxReceiveCount": queue.max_receive_count}
    url = sqs.create_queue(
        QueueName=queue.name,
        Attributes={
            "VisibilityTimeout": str(queue.visibility_timeout_s),
            "MessageRetentionPeriod": str(queue.retention_s),
            "RedrivePolicy": json.dumps(redrive),
        },
    )["QueueUrl"]
    settings = {queue.setting: url}
    if queue.dead_letter_setting is not None:
        settings[queue.dead_letter_setting] = dead_letter_url
    return settings
