"""The whole local stack in one ``with``: moto, every resource, the requested test models, and
the SageMaker runtime emulator when SageMaker endpoints are requested.

Queues described as a topic's subscriber are subscribed to it (raw delivery), so the asynchronous
endpoints' notifications (:data:`LOCAL_ASYNC_CONFIG`) reach ASYNC_NOTIFICATION_QUEUE."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

from model_runner.local.aws import DEFAULT_REGION, MOTO_SERVER, AwsEndpoint
from model_runner.local.models import INVOCATIONS_PATH, ModelKind, ModelSpec, model_server_command
from model_runner.local.processes import LocalStackError, start_servers
from model_runner.local.provisioning import provision
from model_runner.local.sagemaker import (
    EmulatedAsyncConfig,
    EmulatedEndpoint,
    provision_sagemaker_endpoints,
    sagemaker_emulator_command,
)
from model_runner.resources import RESOURCES, ResourceSet

LOCAL_ASYNC_CONFIG = EmulatedAsyncConfig(
    output_s3_path="s3://mr-async/async-output",
    failure_s3_path="s3://mr-async/async-failure",
    success_topic="ASYNC_SUCCESS_TOPIC",
    error_topic="ASYNC_ERROR_TOPIC",
)
"""An asynchronous endpoint's configuration in the stack: answers in the async bucket, and
notifications to the deployment's topics (their settings, resolved to their ARNs)."""


@dataclass(frozen=True, kw_only=True)
class LocalStack(AwsEndpoint):
    """A running local stack: the moto endpoint (with its boto3 clients) plus what it holds.

    Attributes:
        env: the worker's environment: every resource setting plus AWS_DEFAULT_REGION,
            AWS_ENDPOINT_URL and dummy credentials, local image paths allowed and the stack's
            models (on 127.0.0.1) allow-listed; ``load_settings(env)`` accepts it.
        buckets: names of the buckets (results, source images).
        streams: names of the Kinesis streams.
        model_urls: each requested model's ``http://127.0.0.1:PORT/invocations``.
        pids: the process ids of the stack's servers (all gone once the stack is stopped).
        sagemaker_runtime_url: the SageMaker runtime emulator's URL, when it runs; the worker's
            environment sends sagemaker-runtime calls there (AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME).
    """

    env: Mapping[str, str]
    buckets: tuple[str, ...]
    streams: tuple[str, ...]
    model_urls: Mapping[str, str]
    pids: tuple[int, ...]
    sagemaker_runtime_url: str | None = None

    def model_url(self, name: str) -> str:
        """The invocations URL of the model started under ``name``."""
        try:
            return self.model_urls[name]
        except KeyError:
            raise LocalStackError(f"no model {name!r}; the stack serves {sorted(self.model_urls)}") from None


@contextmanager
def start_local_stack(
    models: Mapping[str, ModelSpec] | Iterable[ModelKind] = (),
    region: str = DEFAULT_REGION,
    resources: ResourceSet = RESOURCES,
    sagemaker_endpoints: Mapping[str, EmulatedEndpoint] | None = None,
) -> Iterator[LocalStack]:
    """Start moto and the model servers (in parallel), provision ``resources``, stop all on exit.

    Args:
        models: name -> spec of each model to serve, or model kinds, each served with its
            default spec under its own name.
        region: region of every resource and of the worker's environment.
        resources: what to create; the worker's by default.
        sagemaker_endpoints: name -> endpoint served by the SageMaker runtime emulator and
            described by moto's SageMaker; a variant's model may be the name of one of ``models``.
    """
    specs = dict(models) if isinstance(models, Mapping) else {kind: ModelSpec(kind) for kind in models}
    with ExitStack() as cleanup:
        moto, *model_servers = start_servers(
            [MOTO_SERVER, *(model_server_command(spec) for spec in specs.values())]
        )
        for server in (moto, *model_servers):
            cleanup.enter_context(server)
        endpoint = AwsEndpoint(moto.url, region)
        provisioned = provision(endpoint, resources)
        _subscribe_queues(endpoint, resources, provisioned.settings)
        model_urls = {
            name: server.url + INVOCATIONS_PATH for name, server in zip(specs, model_servers, strict=True)
        }
        sagemaker: dict[str, str] = {}
        emulators = []
        if sagemaker_endpoints:
            served = {
                name: plan.with_models(model_urls).with_addresses(provisioned.settings)
                for name, plan in sagemaker_endpoints.items()
            }
            emulators = start_servers([sagemaker_emulator_command(served, endpoint)])
            cleanup.enter_context(emulators[0])
            provision_sagemaker_endpoints(endpoint, served)
            sagemaker["AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME"] = emulators[0].url
        yield LocalStack(
            endpoint_url=endpoint.endpoint_url,
            region=region,
            env={**endpoint.environment(), **provisioned.settings, **sagemaker, **_open_to(model_urls)},
            buckets=provisioned.buckets,
            streams=provisioned.streams,
            model_urls=model_urls,
            pids=tuple(server.pid for server in (moto, *model_servers, *emulators)),
            sagemaker_runtime_url=sagemaker.get("AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME"),
        )


def _open_to(model_urls: Mapping[str, str]) -> dict[str, str]:
    """The security settings of the local stack: its images may be local files (the demo, tests),
    and its own model servers, on loopback, are allow-listed. Production defaults are strict."""
    return {
        "IMAGE_ALLOW_LOCAL_PATHS": "true",
        "MODEL_ENDPOINT_ALLOWLIST": ",".join(model_urls.values()),
    }


def _subscribe_queues(endpoint: AwsEndpoint, resources: ResourceSet, settings: dict[str, str]) -> None:
    """Subscribe each topic's described queue to it, with raw message delivery."""
    sqs, sns = endpoint.boto3_client("sqs"), endpoint.boto3_client("sns")
    queues = {queue.name: settings[queue.setting] for queue in resources.queues}
    for topic in resources.topics:
        if topic.subscribed_queue is None:
            continue
        arn = sqs.get_queue_attributes(QueueUrl=queues[topic.subscribed_queue], AttributeNames=["QueueArn"])
        sns.subscribe(
            TopicArn=settings[topic.setting],
            Protocol="sqs",
            Endpoint=arn["Attributes"]["QueueArn"],
            Attributes={"RawMessageDelivery": "true"},
        )
