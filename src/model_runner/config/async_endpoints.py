"""Settings: sageMaker asynchronous endpoints (SM_ENDPOINT_ASYNC)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings

from model_runner.config.fields import SECTION_CONFIG


class AsyncEndpointSettings(BaseSettings):
    """SageMaker asynchronous endpoints (SM_ENDPOINT_ASYNC)."""

    model_config = SECTION_CONFIG

    async_input_bucket: str | None = Field(
        default=None,
        validation_alias="ASYNC_INPUT_BUCKET",
        description="S3 bucket the tiles for asynchronous endpoints are put in (the endpoints read "
        "them there); required, with TILE_LEDGER_TABLE and ASYNC_NOTIFICATION_QUEUE, to serve "
        "SM_ENDPOINT_ASYNC requests. Tiles and answers are removed once their region is recorded.",
    )
    async_input_prefix: str = Field(
        default="async-input/",
        validation_alias="ASYNC_INPUT_PREFIX",
        description="Key prefix of the tiles in ASYNC_INPUT_BUCKET (then <region key>/<tile>).",
    )
    async_notification_queue: str | None = Field(
        default=None,
        validation_alias="ASYNC_NOTIFICATION_QUEUE",
        description="URL of the SQS queue subscribed to the asynchronous endpoints' success and "
        "error SNS topics; every worker applies the notifications it reads to the tile ledger.",
    )
    async_success_topic: str | None = Field(
        default=None,
        validation_alias="ASYNC_SUCCESS_TOPIC",
        description="ARN of the deployment's SNS topic for asynchronous endpoints' success "
        "notifications (their AsyncInferenceConfig SuccessTopic). The worker does not publish to "
        "it: it reads what it delivers to ASYNC_NOTIFICATION_QUEUE.",
    )
    async_error_topic: str | None = Field(
        default=None,
        validation_alias="ASYNC_ERROR_TOPIC",
        description="ARN of the deployment's SNS topic for asynchronous endpoints' error "
        "notifications (their ErrorTopic); as ASYNC_SUCCESS_TOPIC.",
    )
    async_max_in_flight: int = Field(
        default=32,
        ge=1,
        le=10000,
        validation_alias="ASYNC_MAX_IN_FLIGHT",
        description="Tiles submitted and not yet answered at once, per asynchronous endpoint, by "
        "one worker (shared by the regions it processes).",
    )
    async_tile_deadline_s: float = Field(
        default=1800.0,
        gt=0,
        validation_alias="ASYNC_TILE_DEADLINE_SECONDS",
        description="Seconds a tile may wait for its answer after submission (or for the endpoint "
        "to accept it, when throttled) before it is recorded as failed.",
    )
    async_poll_s: float = Field(
        default=30.0,
        gt=0,
        validation_alias="ASYNC_POLL_SECONDS",
        description="Seconds without a notification after which a submitted tile's output and "
        "failure locations are checked directly (in case a notification was lost), and then again "
        "every so often.",
    )
