"""Settings: where the AWS services are and how the worker calls them."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings

from model_runner.config.fields import SECTION_CONFIG, env


class AwsSettings(BaseSettings):
    """Where the AWS services are and how the worker calls them."""

    model_config = SECTION_CONFIG

    aws_region: str = Field(
        validation_alias=env("AWS_DEFAULT_REGION", "AWS_REGION"),
        description="AWS region of every queue, table, topic and endpoint the worker calls.",
    )
    aws_endpoint_url: str | None = Field(
        default=None,
        validation_alias="AWS_ENDPOINT_URL",
        description="Send every AWS call (boto3 and GDAL's /vsis3) to this URL instead of AWS; "
        "set by the local stack to its moto server. Unset in production.",
    )

    aws_connect_timeout_s: float = Field(
        default=5.0,
        gt=0,
        le=60,
        validation_alias="AWS_CONNECT_TIMEOUT",
        description="Seconds one AWS call (boto3) may take to connect before it is retried.",
    )
    aws_read_timeout_s: float = Field(
        default=30.0,
        gt=0,
        le=300,
        validation_alias="AWS_READ_TIMEOUT",
        description="Seconds one AWS call (boto3) may wait for its answer before it is retried; "
        "must be longer than QUEUE_WAIT_SECONDS, the long poll of ReceiveMessage.",
    )
    aws_max_attempts: int = Field(
        default=5,
        ge=1,
        le=20,
        validation_alias="AWS_MAX_ATTEMPTS",
        description="Attempts of one AWS call (boto3) after throttling, 5xx answers, timeouts and "
        "connection errors, with botocore's backoff; so no call lasts longer than about this many "
        "times AWS_CONNECT_TIMEOUT plus AWS_READ_TIMEOUT.",
    )
    aws_retry_mode: Literal["standard", "adaptive"] = Field(
        default="adaptive",
        validation_alias="AWS_RETRY_MODE",
        description="botocore's retry mode: adaptive also slows this worker's calls down when "
        "AWS throttles them; standard only retries.",
    )

    sagemaker_runtime_endpoint_url: str | None = Field(
        default=None,
        validation_alias="AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME",
        description="Send SageMaker runtime calls (InvokeEndpoint) to this URL instead of "
        "AWS_ENDPOINT_URL or AWS; set by the local stack to its SageMaker emulator. Unset in production.",
    )
