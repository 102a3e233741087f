"""The one settings class of the worker: every section, read from the environment at start-up."""

from __future__ import annotations

from pydantic import AliasChoices, model_validator

from model_runner.config.async_endpoints import AsyncEndpointSettings
from model_runner.config.aws import AwsSettings
from model_runner.config.extensions import ExtensionSettings
from model_runner.config.geolocation import GeolocationSettings
from model_runner.config.image_reads import ImageReadSettings
from model_runner.config.model_calls import ModelCallSettings
from model_runner.config.observability import ObservabilitySettings
from model_runner.config.processing import ProcessingSettings
from model_runner.config.queues import QueueSettings
from model_runner.config.reliability import ReliabilitySettings
from model_runner.config.scheduling import SchedulingSettings
from model_runner.config.security import SecuritySettings
from model_runner.config.stores import StoreSettings


class WorkerSettings(
    ObservabilitySettings,
    SchedulingSettings,
    SecuritySettings,
    ReliabilitySettings,
    AsyncEndpointSettings,
    ModelCallSettings,
    GeolocationSettings,
    ImageReadSettings,
    ProcessingSettings,
    StoreSettings,
    QueueSettings,
    AwsSettings,
    ExtensionSettings,
):
    """Every setting the worker reads from its environment, with its variable name and default."""

    @model_validator(mode="after")
    def _check_heartbeat(self) -> WorkerSettings:
        if self.queue_wait_s >= self.visibility_timeout_s:
            raise ValueError("QUEUE_WAIT_SECONDS must be shorter than VISIBILITY_TIMEOUT")
        if self.queue_wait_s >= self.aws_read_timeout_s:
            raise ValueError("AWS_READ_TIMEOUT must be longer than QUEUE_WAIT_SECONDS")
        return self

    @property
    def heartbeat_s(self) -> float:
        """How often the visibility of a message in progress is extended."""
        return self.visibility_timeout_s / 3

    @property
    def liveness_interval_s(self) -> float:
        """How often the liveness file is touched while the worker makes progress."""
        return min(5.0, self.stall_timeout_s / 3)

    @classmethod
    def variable_of(cls, field_name: str) -> str:
        """The environment variable (first name) that sets ``field_name``."""
        alias = cls.model_fields[field_name].validation_alias
        if isinstance(alias, AliasChoices):
            return str(alias.choices[0])
        return str(alias)
