"""Settings: timeouts and retries of the calls to models."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings

from model_runner.config.fields import SECTION_CONFIG


class ModelCallSettings(BaseSettings):
    """Timeouts and retries of the calls to models."""

    model_config = SECTION_CONFIG

    model_connect_timeout_s: float = Field(
        default=5.0,
        gt=0,
        validation_alias="MODEL_CONNECT_TIMEOUT",
        description="Seconds to open a connection to an HTTP model endpoint.",
    )
    model_read_timeout_s: float = Field(
        default=60.0,
        gt=0,
        validation_alias="MODEL_READ_TIMEOUT",
        description="Seconds to wait for a model's answer to one tile (SageMaker's own limit is 60).",
    )
    model_max_retries: int = Field(
        default=3,
        ge=0,
        le=10,
        validation_alias="MODEL_MAX_RETRIES",
        description="Retries of one tile after a connection error, HTTP 429 or 5xx, with backoff.",
    )
