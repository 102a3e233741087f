"""Settings: logs, metrics and traces."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings

from model_runner.config.fields import SECTION_CONFIG, env


class ObservabilitySettings(BaseSettings):
    """Logs, metrics and traces."""

    model_config = SECTION_CONFIG

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", validation_alias="LOG_LEVEL", description="Lowest level of log record kept."
    )
    log_format: Literal["json", "text"] = Field(
        default="json",
        validation_alias="LOG_FORMAT",
        description="json: one JSON object per line (for CloudWatch); text: for people.",
    )
    liveness_file: Path = Field(
        default=Path("/tmp/model-runner.alive"),
        validation_alias="LIVENESS_FILE",
        description="File the worker touches while alive; `model-runner health` checks its age.",
    )
    metrics_enabled: bool = Field(
        default=True,
        validation_alias="METRICS_ENABLED",
        description="Write CloudWatch embedded-metric-format records to standard output.",
    )
    tracing_enabled: bool = Field(
        default=False,
        validation_alias="TRACING_ENABLED",
        description="Send AWS X-Ray segments to the X-Ray daemon: one per image and per region "
        "message, subsegments per region, completion and model call, annotated with job_id and image_id.",
    )
    tracing_daemon_address: str = Field(
        default="127.0.0.1:2000",
        pattern=r"^[^:\s]+:\d{1,5}$",
        validation_alias=env("TRACING_DAEMON_ADDRESS", "AWS_XRAY_DAEMON_ADDRESS"),
        description="HOST:PORT of the X-Ray daemon (UDP) that TRACING_ENABLED sends segments to.",
    )
    metrics_namespace: str = Field(
        default="OSML/ModelRunner",
        min_length=1,
        validation_alias="METRICS_NAMESPACE",
        description="CloudWatch namespace of the worker's embedded metrics.",
    )

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value
