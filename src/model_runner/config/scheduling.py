"""Settings: capacity-aware, fair scheduling of regions across shared model endpoints.

Names follow the reference's SCHEDULING_AND_THROTTLING settings; see docs/scheduling.md.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings

from model_runner.config.fields import SECTION_CONFIG


class SchedulingSettings(BaseSettings):
    """Capacity-aware, fair scheduling of regions across shared model endpoints."""

    model_config = SECTION_CONFIG

    scheduler_throttling_enabled: bool = Field(
        default=False,
        validation_alias="SCHEDULER_THROTTLING_ENABLED",
        description="true: regions of SageMaker real-time and HTTP endpoints wait in ENDPOINT_TABLE and "
        "start only when their endpoint's capacity has room, the least-loaded endpoint first and the "
        "regions of the jobs sharing an endpoint interleaved (docs/scheduling.md); false: regions go "
        "to REGION_QUEUE first-come.",
    )
    capacity_target_percentage: float = Field(
        default=1.0,
        gt=0,
        le=1.5,
        validation_alias="CAPACITY_TARGET_PERCENTAGE",
        description="Share of an endpoint's capacity the workers keep in flight (0.8 leaves 20% "
        "headroom for autoscaling or other clients; above 1 over-commits).",
    )
    default_instance_concurrency: int = Field(
        default=2,
        ge=1,
        le=10000,
        validation_alias="DEFAULT_INSTANCE_CONCURRENCY",
        description="Calls one instance of a SageMaker endpoint serves at once when the endpoint has "
        "no osml:instance-concurrency tag (also the capacity of an endpoint that cannot be described).",
    )
    default_http_endpoint_concurrency: int = Field(
        default=10,
        ge=1,
        le=100000,
        validation_alias="DEFAULT_HTTP_ENDPOINT_CONCURRENCY",
        description="Calls an HTTP model endpoint serves at once (its capacity for the scheduler).",
    )
    capacity_cache_s: float = Field(
        default=300.0,
        ge=1,
        le=86400,
        validation_alias="CAPACITY_CACHE_SECONDS",
        description="Seconds a SageMaker endpoint's description (variants, weights, instances, "
        "serverless MaxConcurrency, tags) is kept before it is described again.",
    )
    scheduler_poll_s: float = Field(
        default=0.2,
        gt=0,
        le=10,
        validation_alias="SCHEDULER_POLL_SECONDS",
        description="While regions wait for an endpoint's capacity, how often an idle worker looks "
        "again (one Query of the schedule's endpoint counters): the delay before capacity another "
        "worker gives back is used again.",
    )
