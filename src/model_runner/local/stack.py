"""The whole local stack in one ``with``: moto, every resource, and the requested test models."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

from model_runner.local.aws import DEFAULT_REGION, MOTO_SERVER, AwsEndpoint
from model_runner.local.models import INVOCATIONS_PATH, ModelKind, ModelSpec, model_server_command
from model_runner.local.processes import LocalStackError, start_servers
from model_runner.local.provisioning import provision
from model_runner.resources import RESOURCES, ResourceSet


@dataclass(frozen=True, kw_only=True)
class LocalStack(AwsEndpoint):
    """A running local stack: the moto endpoint (with its boto3 clients) plus what it holds.

    Attributes:
        env: the worker's environment: every resource setting plus AWS_DEFAULT_REGION,
            AWS_ENDPOINT_URL and dummy credentials; ``load_settings(env)`` accepts it.
        buckets: names of the buckets (results, source images).
        streams: names of the Kinesis streams.
        model_urls: each requested model's ``http://127.0.0.1:PORT/invocations``.
        pids: the process ids of the stack's servers (all gone once the stack is stopped).
    """

    env: Mapping[str, str]
    buckets: tuple[str, ...]
    streams: tuple[str, ...]
    model_urls: Mapping[str, str]
    pids: tuple[int, ...]

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
) -> Iterator[LocalStack]:
    """Start moto and the model servers (in parallel), provision ``resources``, stop all on exit.

    Args:
        models: name -> spec of each model to serve, or model kinds, each served with its
            default spec under its own name.
        region: region of every resource and of the worker's environment.
        resources: what to create; the worker's by default.
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
        yield LocalStack(
            endpoint_url=endpoint.endpoint_url,
            region=region,
            env={**endpoint.environment(), **provisioned.settings},
            buckets=provisioned.buckets,
            streams=provisioned.streams,
            model_urls={
                name: server.url + INVOCATIONS_PATH for name, server in zip(specs, model_servers, strict=True)
            },
            pids=tuple(server.pid for server in (moto, *model_servers)),
        )
