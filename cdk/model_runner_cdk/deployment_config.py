"""What one deployment may choose, read from the CDK context (``cdk deploy -c key=value``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPOSITORY_ROOT = Path(__file__).resolve().parents[2]

SECURITY_PARAMETERS = {
    "MODEL_ENDPOINT_ALLOWLIST": "modelEndpointAllowlist",
    "IMAGE_HTTPS_HOSTS": "imageHttpsHosts",
    "IMAGE_SOURCE_PREFIXES": "imageSourcePrefixes",
}
"""Worker settings that are deployment parameters of their own (the egress rules follow them)."""


@dataclass(frozen=True)
class DeploymentConfig:
    """The choices of one deployment; every field has a context key of the same name in camelCase."""

    image_directory: Path = REPOSITORY_ROOT
    """Docker build context holding the Dockerfile (the repository root)."""
    vpc_id: str | None = None
    """Run the service in this existing VPC instead of a new one (needs account and region)."""
    model_endpoint_names: tuple[str, ...] = ()
    """SageMaker endpoints the worker may invoke and describe."""
    model_endpoint_prefix: str | None = None
    """Also allow every SageMaker endpoint whose name starts with this prefix."""
    image_bucket_names: tuple[str, ...] = ()
    """Existing buckets of source imagery the worker may read, besides the deployed images bucket."""
    user_role_arns: tuple[str, ...] = ()
    """Roles the worker may assume (imageReadRole, sink roles); empty: none."""
    model_endpoint_allowlist: tuple[str, ...] = ()
    """HTTP model hosts or URL prefixes requests may name (MODEL_ENDPOINT_ALLOWLIST); empty: none."""
    model_egress: tuple[str, ...] = ()
    """``CIDR:port`` destinations of HTTP models on ports other than 443 (the task's egress rules)."""
    image_https_hosts: tuple[str, ...] = ()
    """Hosts whose https:// image URLs the worker may read (IMAGE_HTTPS_HOSTS); empty: none."""
    image_source_prefixes: tuple[str, ...] = ()
    """Extra s3://bucket/prefix locations of VRT sources (IMAGE_SOURCE_PREFIXES); their buckets
    must also be in imageBucketNames for the worker to read them."""
    alarm_email: str | None = None
    """Subscribe this address to the alarm topic."""
    min_tasks: int = 1
    max_tasks: int = 10
    task_cpu: int = 4096
    task_memory_mib: int = 16384
    worker_settings: dict[str, str] = field(default_factory=dict)
    """Extra worker environment (e.g. {"REGION_SIZE": "8192"}); each must be a known variable."""

    def __post_init__(self) -> None:
        if not 0 <= self.min_tasks <= self.max_tasks or self.max_tasks < 1:
            raise ValueError(f"need 0 <= minTasks <= maxTasks and maxTasks >= 1, got {self}")
        for variable, parameter in SECURITY_PARAMETERS.items():
            if variable in self.worker_settings:
                raise ValueError(f"workerSettings.{variable}: set it with the {parameter} parameter")
        if self.worker_settings.get("IMAGE_ALLOW_LOCAL_PATHS", "false").lower() not in ("false", "0", "no"):
            raise ValueError("workerSettings.IMAGE_ALLOW_LOCAL_PATHS is for the local stack and tests only")

    def security_settings(self) -> dict[str, str]:
        """The worker's allow-list settings, from the deployment's parameters."""
        values = {
            "MODEL_ENDPOINT_ALLOWLIST": self.model_endpoint_allowlist,
            "IMAGE_HTTPS_HOSTS": self.image_https_hosts,
            "IMAGE_SOURCE_PREFIXES": self.image_source_prefixes,
        }
        return {variable: ",".join(entries) for variable, entries in values.items() if entries}

    @classmethod
    def from_context(cls, get: Callable[[str], object]) -> DeploymentConfig:
        """Read the choices from CDK context values (``app.node.try_get_context``)."""
        defaults = cls()
        settings = get("workerSettings") or {}
        if isinstance(settings, str):
            settings = json.loads(settings)
        if not isinstance(settings, dict):
            raise ValueError("workerSettings must be a JSON object of variable names to values")
        return cls(
            vpc_id=_text(get("vpcId")),
            model_endpoint_names=_names(get("modelEndpointNames")),
            model_endpoint_prefix=_text(get("modelEndpointPrefix")),
            image_bucket_names=_names(get("imageBucketNames")),
            user_role_arns=_names(get("userRoleArns")),
            model_endpoint_allowlist=_names(get("modelEndpointAllowlist")),
            model_egress=_names(get("modelEgress")),
            image_https_hosts=_names(get("imageHttpsHosts")),
            image_source_prefixes=_names(get("imageSourcePrefixes")),
            alarm_email=_text(get("alarmEmail")),
            min_tasks=_number(get("minTasks"), defaults.min_tasks),
            max_tasks=_number(get("maxTasks"), defaults.max_tasks),
            task_cpu=_number(get("taskCpu"), defaults.task_cpu),
            task_memory_mib=_number(get("taskMemoryMiB"), defaults.task_memory_mib),
            worker_settings={str(key): str(value) for key, value in settings.items()},
        )


def _text(value: object) -> str | None:
    text = "" if value is None else str(value).strip()
    return text or None


def _number(value: object, default: int) -> int:
    return default if value is None or value == "" else int(str(value))


def _names(value: object) -> tuple[str, ...]:
    """A list from JSON context, or a comma-separated string from the command line."""
    items = value if isinstance(value, list) else str(value or "").split(",")
    return tuple(str(item).strip() for item in items if str(item).strip())
