"""The AWS resources the worker uses, described once.

The embedded local stack creates exactly these on the moto server, and the CDK app deploys them;
both read this module, so names, keys, TTL attributes and the settings that carry each resource's
address to the worker stay in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

KeyType = Literal["S", "N"]
TTL_ATTRIBUTE = "expire_time"


@dataclass(frozen=True)
class Key:
    """A DynamoDB key attribute."""

    name: str
    type: KeyType = "S"


@dataclass(frozen=True)
class IndexSpec:
    """A global secondary index projecting whole rows, for reads by another attribute."""

    name: str
    partition_key: Key
    sort_key: Key | None = None


@dataclass(frozen=True)
class TableSpec:
    """A DynamoDB table; its name reaches the worker through ``setting``."""

    name: str
    setting: str
    partition_key: Key
    sort_key: Key | None = None
    ttl_attribute: str | None = TTL_ATTRIBUTE
    purpose: str = ""
    indexes: tuple[IndexSpec, ...] = ()


@dataclass(frozen=True)
class QueueSpec:
    """An SQS queue with its dead-letter queue; its URL reaches the worker through ``setting``."""

    name: str
    setting: str
    visibility_timeout_s: int
    max_receive_count: int
    dead_letter_name: str
    dead_letter_setting: str | None = None
    retention_s: int = 4 * 24 * 3600
    dead_letter_retention_s: int = 14 * 24 * 3600
    purpose: str = ""


@dataclass(frozen=True)
class TopicSpec:
    """An SNS topic; its ARN reaches the worker through ``setting``."""

    name: str
    setting: str
    purpose: str = ""
    subscribed_queue: str | None = None
    """Name of the queue (of the same ResourceSet) that receives what the topic delivers."""


@dataclass(frozen=True)
class BucketSpec:
    """An S3 bucket: the worker's own (its name reaches it through ``setting``) or one that
    requests name (results, imagery). ``expire_days`` deletes objects that old."""

    name: str
    setting: str | None = None
    expire_days: int | None = None
    purpose: str = ""


@dataclass(frozen=True)
class StreamSpec:
    """A Kinesis data stream named by requests."""

    name: str
    shard_count: int = 1
    purpose: str = ""


@dataclass(frozen=True)
class ResourceSet:
    """Everything one deployment of the worker needs."""

    tables: tuple[TableSpec, ...]
    queues: tuple[QueueSpec, ...]
    topics: tuple[TopicSpec, ...]
    buckets: tuple[BucketSpec, ...]
    streams: tuple[StreamSpec, ...]


# A region message is kept invisible by the worker's heartbeat (a third of this timeout), so the
# timeout only bounds how long a crashed worker's message stays hidden.
MESSAGE_VISIBILITY_S = 120
MAX_RECEIVE_COUNT = 5
JOB_INDEX = IndexSpec("job_id-index", partition_key=Key("job_id"), sort_key=Key("start_time", "N"))
"""The job table's images by job, in the order they started: what operators' tools read."""

RESOURCES = ResourceSet(
    tables=(
        TableSpec(
            name="ImageProcessingJobStatus",
            setting="JOB_TABLE",
            partition_key=Key("image_id"),
            purpose="one row per image of a job: status, region counts, timings",
            indexes=(JOB_INDEX,),
        ),
        TableSpec(
            name="RegionProcessingJobStatus",
            setting="REGION_REQUEST_TABLE",
            partition_key=Key("image_id"),
            sort_key=Key("region_id"),
            purpose="one row per region: status, tile counts, failures",
        ),
        TableSpec(
            name="EndpointSchedule",
            setting="ENDPOINT_TABLE",
            partition_key=Key("endpoint"),
            sort_key=Key("item"),
            purpose="the scheduler: capacity leases per model endpoint and the regions waiting for them",
        ),
        TableSpec(
            name="TileLedger",
            setting="TILE_LEDGER_TABLE",
            partition_key=Key("region_key"),
            sort_key=Key("tile_id"),
            purpose="asynchronous endpoints: each tile's PENDING/SUBMITTED/COMPLETED/FAILED state",
        ),
    ),
    queues=(
        QueueSpec(
            name="ImageRequestQueue",
            setting="IMAGE_QUEUE",
            visibility_timeout_s=MESSAGE_VISIBILITY_S,
            max_receive_count=MAX_RECEIVE_COUNT,
            dead_letter_name="ImageRequestDLQ",
            dead_letter_setting="IMAGE_DLQ",
            purpose="ImageRequest messages from users",
        ),
        QueueSpec(
            name="RegionRequestQueue",
            setting="REGION_QUEUE",
            visibility_timeout_s=MESSAGE_VISIBILITY_S,
            max_receive_count=MAX_RECEIVE_COUNT,
            dead_letter_name="RegionRequestDLQ",
            dead_letter_setting="REGION_DLQ",
            purpose="regions fanned out to other workers",
        ),
        QueueSpec(
            name="AsyncNotificationQueue",
            setting="ASYNC_NOTIFICATION_QUEUE",
            visibility_timeout_s=MESSAGE_VISIBILITY_S,
            max_receive_count=MAX_RECEIVE_COUNT,
            dead_letter_name="AsyncNotificationDLQ",
            purpose="asynchronous endpoints' success and error notifications (from their topics)",
        ),
    ),
    topics=(
        TopicSpec(name="ImageStatusTopic", setting="IMAGE_STATUS_TOPIC", purpose="image status events"),
        TopicSpec(name="RegionStatusTopic", setting="REGION_STATUS_TOPIC", purpose="region status events"),
        TopicSpec(
            name="AsyncSuccessTopic",
            setting="ASYNC_SUCCESS_TOPIC",
            purpose="asynchronous endpoints notify their answers here (their SuccessTopic)",
            subscribed_queue="AsyncNotificationQueue",
        ),
        TopicSpec(
            name="AsyncErrorTopic",
            setting="ASYNC_ERROR_TOPIC",
            purpose="asynchronous endpoints notify their failures here (their ErrorTopic)",
            subscribed_queue="AsyncNotificationQueue",
        ),
    ),
    buckets=(
        BucketSpec(
            name="mr-workspace",
            setting="WORKSPACE_BUCKET",
            expire_days=7,
            purpose="detections of regions of images in progress, until the image completes",
        ),
        BucketSpec(
            name="mr-async",
            setting="ASYNC_INPUT_BUCKET",
            expire_days=2,
            purpose="tiles for asynchronous endpoints (and, locally, their answers) until their region ends",
        ),
        BucketSpec(name="mr-results", purpose="feature collections written by the S3 sink"),
        BucketSpec(name="mr-images", purpose="source imagery read through /vsis3"),
    ),
    streams=(StreamSpec(name="mr-features", purpose="features written by the Kinesis sink"),),
)
