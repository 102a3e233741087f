"""The worker's settings: one class, read from the environment at start-up and passed in.

Variable names follow the reference OversightML Model Runner where it has one, so existing
deployments keep their environment. Nothing here is read at import time: call
:func:`load_settings` once in the entry point.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    create_model,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from model_runner.config_scheduling import SchedulingSettings
from model_runner.errors import ConfigurationError
from model_runner.security.url_rules import UrlRule

_REQUEST_TYPE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def _check_request_type_name(value: str) -> str:
    if not _REQUEST_TYPE_NAME.match(value):
        raise ValueError(
            "must be a handler pair name: lowercase letters, digits and _, starting with a letter"
        )
    return value


RequestTypeName = Annotated[str, AfterValidator(_check_request_type_name)]


def _env(*names: str) -> AliasChoices:
    return AliasChoices(*names)


def comma_separated(value: object) -> object:
    """A comma-separated variable as a tuple of its non-empty, stripped items."""
    if isinstance(value, str):
        return tuple(item.strip() for item in value.split(",") if item.strip())
    return value


class ExtensionSettings(BaseSettings):
    """The settings that choose handler pairs; also read alone by ``model-runner extensions``."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True, populate_by_name=False)

    # --- Extensions ------------------------------------------------------------------------
    request_type: RequestTypeName | None = Field(
        default=None,
        validation_alias="REQUEST_TYPE",
        description="Handler pair for every request (http, sm_endpoint, async_sm_endpoint or a "
        "registered extension's). Unset: the built-in pair of each request's imageProcessor.type.",
    )
    use_extensions: bool = Field(
        default=True,
        validation_alias="USE_EXTENSIONS",
        description="false: always use the built-in pair of the request's imageProcessor.type.",
    )
    extension_fallback_enabled: bool = Field(
        default=False,
        validation_alias="EXTENSION_FALLBACK_ENABLED",
        description="true: an extension that fails to load or construct, or that does not serve a "
        "request's endpoint type, gives way to the built-in pair with a warning and a metric; false: "
        "the worker refuses to start (or the request fails, naming imageProcessor.type).",
    )
    extension_blocklist: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(),
        validation_alias="EXTENSION_BLOCKLIST",
        description="Comma-separated names of registered handlers or observers to switch off "
        "(see `model-runner extensions` for the names).",
    )
    extension_modules: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(),
        validation_alias="EXTENSION_MODULES",
        description="Comma-separated Python modules to import at start-up so that the handlers "
        "and observers they register are available.",
    )

    @field_validator("extension_modules", "extension_blocklist", mode="before")
    @classmethod
    def _split_names(cls, value: object) -> object:
        return comma_separated(value)


class WorkerSettings(SchedulingSettings, ExtensionSettings):
    """Every setting the worker reads from its environment, with its variable name and default."""

    # --- AWS -------------------------------------------------------------------------------
    aws_region: str = Field(
        validation_alias=_env("AWS_DEFAULT_REGION", "AWS_REGION"),
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

    # --- Queues ----------------------------------------------------------------------------
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

    # --- Tables and topics -----------------------------------------------------------------
    job_table: str = Field(
        validation_alias="JOB_TABLE", description="DynamoDB table of image (job) status rows."
    )
    region_request_table: str = Field(
        validation_alias="REGION_REQUEST_TABLE",
        description="DynamoDB table of region status rows.",
    )
    endpoint_table: str = Field(
        validation_alias=_env("ENDPOINT_TABLE", "ENDPOINT_STATISTICS_TABLE"),
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

    # --- Processing ------------------------------------------------------------------------
    region_size: Annotated[tuple[int, int], NoDecode] = Field(
        default=(10240, 10240),
        validation_alias="REGION_SIZE",
        description="Region width and height in pixels: '(10240, 10240)', '10240,10240' or "
        "'10240'. Each region is one message on the region queue.",
    )
    tile_workers: int = Field(
        default=4,
        ge=1,
        le=256,
        validation_alias="WORKERS",
        description="Model calls in flight at once per region being processed.",
    )
    throttling_retry_timeout_s: int = Field(
        default=10,
        ge=0,
        validation_alias="THROTTLING_RETRY_TIMEOUT",
        description="Seconds a region or image whose processing failed waits before it is tried "
        "again, doubling with each attempt (at most 900).",
    )

    max_tiles_per_image: int = Field(
        default=250_000,
        ge=1,
        validation_alias="MAX_TILES_PER_IMAGE",
        description="Most tiles one image of a request may be cut into (given its size, region of "
        "interest, tile size and overlap); a request asking for more is FAILED naming "
        "imageProcessorTileSize.",
    )
    min_tile_stride: int = Field(
        default=32,
        ge=1,
        validation_alias="MIN_TILE_STRIDE",
        description="Smallest imageProcessorTileSize minus imageProcessorTileOverlap a request may "
        "ask for; below it the request is FAILED naming imageProcessorTileOverlap (tile 64 with "
        "overlap 63 would read every pixel 4096 times).",
    )

    gdal_cache_mb: int = Field(
        default=64,
        ge=16,
        validation_alias="GDAL_CACHEMAX",
        description="Megabytes of GDAL's block cache; tiles are read once each, so a small cache "
        "keeps the worker's memory bounded whatever the image size.",
    )

    image_connect_timeout_s: int = Field(
        default=5,
        ge=1,
        le=120,
        validation_alias="IMAGE_CONNECT_TIMEOUT",
        description="Seconds GDAL may take to connect to S3 (or HTTP) for one read of an image "
        "(GDAL_HTTP_CONNECTTIMEOUT).",
    )
    image_read_timeout_s: int = Field(
        default=30,
        ge=1,
        le=600,
        validation_alias="IMAGE_READ_TIMEOUT",
        description="Seconds one HTTP request of GDAL reading an image may last (GDAL_HTTP_TIMEOUT). "
        "A read that keeps failing gives the region back to the queue, to be retried.",
    )
    image_max_retries: int = Field(
        default=2,
        ge=0,
        le=10,
        validation_alias="IMAGE_MAX_RETRIES",
        description="Retries of one HTTP request of GDAL after a timeout, a connection error, HTTP "
        "429 or 5xx (GDAL_HTTP_MAX_RETRY).",
    )

    # --- Model calls -----------------------------------------------------------------------
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

    # --- Asynchronous SageMaker endpoints (SM_ENDPOINT_ASYNC) --------------------------------
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

    # --- Completion, liveness and shutdown -------------------------------------------------
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

    # --- Security: what a request may make the worker read and call ------------------------
    image_allow_local_paths: bool = Field(
        default=False,
        validation_alias="IMAGE_ALLOW_LOCAL_PATHS",
        description="true: imageUrls may also be absolute paths on the worker's disk (the local "
        "stack and tests); false (production): only s3:// URLs, and https:// ones on IMAGE_HTTPS_HOSTS. "
        "GDAL virtual paths (/vsi...) and other schemes are refused either way.",
    )
    image_https_hosts: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(),
        validation_alias="IMAGE_HTTPS_HOSTS",
        description="Comma-separated hosts (host or host:port) whose https:// imageUrls the worker "
        "may read; empty: none. Link-local and instance-metadata addresses are refused whatever "
        "this lists.",
    )
    image_source_prefixes: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(),
        validation_alias="IMAGE_SOURCE_PREFIXES",
        description="Comma-separated s3://bucket/prefix locations, besides the image's own bucket, "
        "from which a multi-file image (a VRT) may read its source files; empty: its own bucket only.",
    )
    model_endpoint_allowlist: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(),
        validation_alias="MODEL_ENDPOINT_ALLOWLIST",
        description="Comma-separated hosts (host, host:port) or URL prefixes "
        "(https://host[:port]/path) of the HTTP model endpoints requests may name; empty: "
        "HTTP_ENDPOINT requests are refused. A loopback address is reached only through an entry "
        "that names it (127.0.0.1:8080, localhost); link-local and instance-metadata addresses "
        "are refused whatever this lists.",
    )

    # --- Observability ---------------------------------------------------------------------
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
        validation_alias=_env("TRACING_DAEMON_ADDRESS", "AWS_XRAY_DAEMON_ADDRESS"),
        description="HOST:PORT of the X-Ray daemon (UDP) that TRACING_ENABLED sends segments to.",
    )
    metrics_namespace: str = Field(
        default="OSML/ModelRunner",
        min_length=1,
        validation_alias="METRICS_NAMESPACE",
        description="CloudWatch namespace of the worker's embedded metrics.",
    )

    @field_validator("region_size", mode="before")
    @classmethod
    def _parse_region_size(cls, value: object) -> object:
        if isinstance(value, str):
            numbers = re.findall(r"-?\d+", value)
            if len(numbers) not in (1, 2) or re.sub(r"[-\d\s(),]", "", value):
                raise ValueError("expected 'WIDTH,HEIGHT', '(WIDTH, HEIGHT)' or 'SIZE'")
            width, height = int(numbers[0]), int(numbers[-1])
            return (width, height)
        if isinstance(value, int):
            return (value, value)
        return value

    @field_validator("region_size")
    @classmethod
    def _check_region_size(cls, value: tuple[int, int]) -> tuple[int, int]:
        if min(value) < 256:
            raise ValueError("each side must be at least 256 pixels")
        return value

    @field_validator("image_https_hosts", "image_source_prefixes", "model_endpoint_allowlist", mode="before")
    @classmethod
    def _split_list(cls, value: object) -> object:
        return comma_separated(value)

    @field_validator("model_endpoint_allowlist")
    @classmethod
    def _check_url_rules(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for entry in value:
            UrlRule.parse(entry)
        return value

    @field_validator("image_https_hosts")
    @classmethod
    def _check_hosts(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for entry in value:
            if UrlRule.parse(entry).scheme is not None:
                raise ValueError(f"{entry!r}: expected host or host:port")
        return value

    @field_validator("image_source_prefixes")
    @classmethod
    def _check_prefixes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for entry in value:
            bucket, _, _ = entry.removeprefix("s3://").partition("/")
            if (
                not entry.startswith("s3://")
                or not bucket
                or any(part in (".", "..") for part in entry.split("/")[3:])
            ):
                raise ValueError(f"{entry!r}: expected s3://bucket or s3://bucket/prefix")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

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


Loaded = TypeVar("Loaded", bound=ExtensionSettings)


def load_settings(environ: Mapping[str, str] | None = None) -> WorkerSettings:
    """Read and validate the settings from ``environ`` (default: the process environment).

    Raises:
        ConfigurationError: one problem per missing or invalid variable, each naming it.
    """
    return load(WorkerSettings, environ)


def load_settings_subset(names: Iterable[str], environ: Mapping[str, str] | None = None) -> WorkerSettings:
    """WorkerSettings with only the fields ``names`` read and checked: for tools that need a few
    of the worker's variables (``submit`` needs IMAGE_QUEUE, not WORKSPACE_BUCKET). Other fields
    keep their defaults; reading a required one that was not asked for raises AttributeError.

    Raises:
        ConfigurationError: one problem per missing or invalid variable, each naming it.
    """
    fields: dict[str, Any] = {
        name: (WorkerSettings.model_fields[name].annotation, WorkerSettings.model_fields[name])
        for name in names
    }
    subset = create_model(
        "WorkerSettingsSubset", __config__=ConfigDict(extra="ignore", populate_by_name=False), **fields
    )
    values = os.environ if environ is None else environ
    try:
        checked: BaseModel = subset.model_validate({key.upper(): value for key, value in values.items()})
    except ValidationError as error:
        raise ConfigurationError(_describe(error)) from None
    return WorkerSettings.model_construct(**checked.model_dump())


def load(kind: type[Loaded], environ: Mapping[str, str] | None = None) -> Loaded:
    """Read and validate settings of ``kind``; see :func:`load_settings`."""
    try:
        if environ is None:
            return kind()
        return kind.model_validate({key.upper(): value for key, value in environ.items()})
    except ValidationError as error:
        raise ConfigurationError(_describe(error)) from None


def _describe(error: ValidationError) -> list[str]:
    problems = []
    for item in error.errors():
        location = item["loc"]
        variable = str(location[0]) if location else "settings"
        if item["type"] == "missing":
            problems.append(f"{variable}: required, but not set")
        else:
            reason = item["msg"].removeprefix("Value error, ")
            shown = f" (got {item['input']!r})" if location else ""
            problems.append(f"{variable}: {reason}{shown}")
    return problems
