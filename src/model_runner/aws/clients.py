"""boto3 clients for the worker: one cached client per service and role, built once and shared.

A role ARN (the request's imageReadRole, a sink's role, a model's assumedRole) gets its own
botocore session whose credentials come from STS AssumeRole and refresh themselves before they
expire, so a long job never runs on stale credentials. Every credential obtained is registered
with the log redactor, so it is masked wherever it would appear in a log line.
"""

from __future__ import annotations

import threading
from typing import Any

import boto3
from botocore.config import Config
from botocore.credentials import DeferredRefreshableCredentials
from botocore.session import get_session

from model_runner.config import WorkerSettings
from model_runner.imagery import S3Credentials
from model_runner.security import REDACT

SESSION_NAME = "model-runner"
_ROLE_SESSION_SECONDS = 3600


SAGEMAKER_READ_MARGIN_S = 10
"""Seconds a SageMaker runtime call may read beyond MODEL_READ_TIMEOUT (the model's own time)."""


def aws_call_bound_s(settings: WorkerSettings) -> float:
    """The longest an AWS call of the clients can take, every attempt timing out."""
    return settings.aws_max_attempts * (settings.aws_connect_timeout_s + settings.aws_read_timeout_s)


def sagemaker_call_bound_s(settings: WorkerSettings) -> float:
    """The longest a SageMaker runtime call can take (one attempt: the detectors own the retries)."""
    return settings.aws_connect_timeout_s + settings.model_read_timeout_s + SAGEMAKER_READ_MARGIN_S


class AwsClients:
    """Builds and caches boto3 clients; safe to share between threads.

    ``client("sqs")`` uses the worker's own credentials; ``client("s3", role_arn=...)`` uses the
    role's. Clients are thread-safe in boto3; building them is not, hence the lock.
    """

    def __init__(self, settings: WorkerSettings, max_pool_connections: int = 32) -> None:
        self._region = settings.aws_region
        self._endpoint_url = settings.aws_endpoint_url
        # Every call is bounded: connect and read timeouts, and a bounded number of attempts.
        self._config = Config(
            connect_timeout=settings.aws_connect_timeout_s,
            read_timeout=settings.aws_read_timeout_s,
            retries={"mode": settings.aws_retry_mode, "total_max_attempts": settings.aws_max_attempts},
            max_pool_connections=max_pool_connections,
        )
        self._service_endpoints = (
            {"sagemaker-runtime": settings.sagemaker_runtime_endpoint_url}
            if settings.sagemaker_runtime_endpoint_url
            else {}
        )
        # The SageMaker detector's own backoff owns the retries of InvokeEndpoint.
        self._service_configs = {
            "sagemaker-runtime": self._config.merge(
                Config(
                    retries={"mode": "standard", "total_max_attempts": 1},
                    read_timeout=settings.model_read_timeout_s + SAGEMAKER_READ_MARGIN_S,
                )
            )
        }
        self._base = boto3.session.Session(region_name=self._region)
        self._role_sessions: dict[str, boto3.session.Session] = {}
        self._clients: dict[tuple[str, str | None], Any] = {}
        self._lock = threading.Lock()

    @property
    def endpoint_url(self) -> str | None:
        """The endpoint every client talks to instead of AWS (the local stack), if any."""
        return self._endpoint_url

    def client(self, service: str, *, role_arn: str | None = None) -> Any:
        """The cached client of ``service``, acting as ``role_arn`` when one is given."""
        key = (service, role_arn)
        with self._lock:
            if key not in self._clients:
                session = self._session(role_arn)
                self._clients[key] = session.client(
                    service,  # type: ignore[call-overload]
                    region_name=self._region,
                    endpoint_url=self._service_endpoints.get(service, self._endpoint_url),
                    config=self._service_configs.get(service, self._config),
                )
            return self._clients[key]

    def credentials(self, role_arn: str | None = None) -> S3Credentials | None:
        """Current static credentials of the role (or of the worker), for GDAL."""
        with self._lock:
            found = self._session(role_arn).get_credentials()
        if found is None:
            return None
        frozen = found.get_frozen_credentials()
        if not frozen.access_key or not frozen.secret_key:
            return None
        REDACT.register(frozen.access_key, frozen.secret_key, frozen.token)
        return S3Credentials(frozen.access_key, frozen.secret_key, frozen.token)

    def _session(self, role_arn: str | None) -> boto3.session.Session:
        if role_arn is None:
            return self._base
        if role_arn not in self._role_sessions:
            self._role_sessions[role_arn] = self._assumed_session(role_arn)
        return self._role_sessions[role_arn]

    def _assumed_session(self, role_arn: str) -> boto3.session.Session:
        sts = self._base.client(
            "sts", region_name=self._region, endpoint_url=self._endpoint_url, config=self._config
        )

        def refresh() -> dict[str, str]:
            answer = sts.assume_role(
                RoleArn=role_arn,
                RoleSessionName=SESSION_NAME,
                DurationSeconds=_ROLE_SESSION_SECONDS,
            )["Credentials"]
            REDACT.register(answer["AccessKeyId"], answer["SecretAccessKey"], answer["SessionToken"])
            return {
                "access_key": answer["AccessKeyId"],
                "secret_key": answer["SecretAccessKey"],
                "token": answer["SessionToken"],
                "expiry_time": answer["Expiration"].isoformat(),
            }

        botocore_session = get_session()
        # botocore has no public setter for refreshable credentials; this is the documented idiom.
        botocore_session._credentials = DeferredRefreshableCredentials(  # type: ignore[attr-defined]
            refresh_using=refresh, method="sts-assume-role"
        )
        return boto3.session.Session(botocore_session=botocore_session, region_name=self._region)
