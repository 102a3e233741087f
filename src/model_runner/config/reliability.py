"""Settings: image completion, liveness and shutdown."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings

from model_runner.config.fields import SECTION_CONFIG


class ReliabilitySettings(BaseSettings):
    """Image completion, liveness and shutdown."""

    model_config = SECTION_CONFIG

    completion_lease_s: float = Field(
        default=120.0,
        ge=3,
        le=3600,
        validation_alias="COMPLETION_LEASE",
        description="Seconds a worker's claim on completing an image lasts; it renews the claim "
        "every third of this time while it writes the features, and another worker takes the image "
        "over once a claim runs out (its completer died).",
    )
    stall_timeout_s: float = Field(
        default=600.0,
        gt=0,
        validation_alias="STALL_TIMEOUT",
        description="Seconds without progress (no tile finished, no message settled, no poll "
        "returned) after which the worker is stuck: it stops extending its message, which goes to "
        "another worker, and `model-runner health` fails, so the container is replaced. Keep it above "
        "the longest single call (MODEL_READ_TIMEOUT x (MODEL_MAX_RETRIES + 1)).",
    )
    shutdown_timeout_s: float = Field(
        default=25.0,
        gt=0,
        validation_alias="SHUTDOWN_TIMEOUT",
        description="Seconds a worker may take to stop after SIGTERM; past them it gives its "
        "message back and exits even if a call is stuck. Keep it below the container's stop "
        "timeout (30 s on ECS by default).",
    )
