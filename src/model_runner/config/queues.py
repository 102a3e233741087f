"""Settings: the image and region queues, and how a message in progress is held."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings

from model_runner.config.fields import SECTION_CONFIG


class QueueSettings(BaseSettings):
    """The image and region queues, and how a message in progress is held."""

    model_config = SECTION_CONFIG

    image_queue: str = Field(
        validation_alias="IMAGE_QUEUE", description="URL of the queue of ImageRequest messages."
    )
    image_dlq: str | None = Field(
        default=None,
        validation_alias="IMAGE_DLQ",
        description="URL of the image queue's dead-letter queue; unreadable messages are moved "
        "there at once. Unset: they are left to the queue's redrive policy.",
    )
    region_queue: str = Field(
        validation_alias="REGION_QUEUE",
        description="URL of the queue through which regions are fanned out to workers.",
    )
    region_dlq: str | None = Field(
        default=None,
        validation_alias="REGION_DLQ",
        description="URL of the region queue's dead-letter queue (as IMAGE_DLQ).",
    )
    queue_wait_s: int = Field(
        default=20,
        ge=0,
        le=20,
        validation_alias="QUEUE_WAIT_SECONDS",
        description="Long-poll wait of each ReceiveMessage call, in seconds (SQS allows 0 to 20).",
    )
    visibility_timeout_s: int = Field(
        default=120,
        ge=5,
        le=43200,
        validation_alias="VISIBILITY_TIMEOUT",
        description="Visibility timeout the worker keeps on a message it is processing; a "
        "heartbeat extends it every third of this time until the work is done.",
    )

    max_receives: int = Field(
        default=4,
        ge=1,
        le=100,
        validation_alias="MAX_RECEIVES",
        description="When processing a message fails on its MAX_RECEIVES-th receive (a bug, or a "
        "fault that outlasted every retry), its image is recorded FAILED with the last error and the "
        "message deleted. Keep it below the queues' maxReceiveCount (5 in the CDK app), so that no "
        "message reaches a dead-letter queue while its image has no terminal status.",
    )
    max_request_bytes: int = Field(
        default=192 * 1024,
        ge=1024,
        le=256 * 1024,
        validation_alias="MAX_REQUEST_BYTES",
        description="Largest ImageRequest body, in bytes (UTF-8); a larger one is FAILED naming the "
        "limit. Each region message repeats the request, and SQS carries at most 256 KiB.",
    )
