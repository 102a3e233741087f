"""Settings: the tables, topics and workspace bucket status and detections are kept in."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings

from model_runner.config.fields import SECTION_CONFIG, env


class StoreSettings(BaseSettings):
    """The tables, topics and workspace bucket status and detections are kept in."""

    model_config = SECTION_CONFIG

    job_table: str = Field(
        validation_alias="JOB_TABLE", description="DynamoDB table of image (job) status rows."
    )
    region_request_table: str = Field(
        validation_alias="REGION_REQUEST_TABLE",
        description="DynamoDB table of region status rows.",
    )
    endpoint_table: str = Field(
        validation_alias=env("ENDPOINT_TABLE", "ENDPOINT_STATISTICS_TABLE"),
        description="DynamoDB table of the scheduler: endpoint capacity leases and the regions "
        "waiting for them (used when SCHEDULER_THROTTLING_ENABLED).",
    )
    tile_ledger_table: str | None = Field(
        default=None,
        validation_alias="TILE_LEDGER_TABLE",
        description="DynamoDB table of tile states for asynchronous SageMaker endpoints; "
        "required only to serve SM_ENDPOINT_ASYNC requests.",
    )
    image_status_topic: str | None = Field(
        default=None,
        validation_alias="IMAGE_STATUS_TOPIC",
        description="ARN of the SNS topic for image status events; unset: none are published.",
    )
    region_status_topic: str | None = Field(
        default=None,
        validation_alias="REGION_STATUS_TOPIC",
        description="ARN of the SNS topic for region status events; unset: none are published.",
    )
    workspace_bucket: str = Field(
        validation_alias="WORKSPACE_BUCKET",
        description="S3 bucket holding each region's detections until its image completes "
        "(objects are removed when the image's features are written).",
    )
    ddb_ttl_days: int = Field(
        default=7,
        ge=1,
        validation_alias="DDB_TTL_IN_DAYS",
        description="Days a status row is kept before DynamoDB's TTL removes it.",
    )
