"""A local SageMaker: the runtime's InvokeEndpoint emulated by a child process, and the endpoints'
descriptions created in the moto server, so boto3 sees both halves of the service.

``start_sagemaker_emulator({"detector": EmulatedEndpoint.serving(model_url)})`` starts the
emulator (asynchronous endpoints also need the AWS endpoint of their S3 and SNS); its URL is
the ``endpoint_url`` of a sagemaker-runtime client.
:func:`provision_sagemaker_endpoints` creates the same endpoints (models, endpoint
configurations with their variants, endpoints) in the moto server, for DescribeEndpoint.
"""

from __future__ import annotations

from collections.abc import Mapping

from model_runner.errors import ConfigurationError
from model_runner.local.aws import AwsEndpoint
from model_runner.local.processes import ServerCommand, ServerProcess, start_servers
from model_runner.local.sagemaker.control_plane import provision_sagemaker_endpoints
from model_runner.local.sagemaker.endpoints import (
    EmulatedAsyncConfig,
    EmulatedEndpoint,
    EmulatedVariant,
    endpoints_to_json,
)
from model_runner.local.sagemaker.server import STATS_PATH

__all__ = [
    "STATS_PATH",
    "EmulatedAsyncConfig",
    "EmulatedEndpoint",
    "EmulatedVariant",
    "provision_sagemaker_endpoints",
    "sagemaker_emulator_command",
    "start_sagemaker_emulator",
]


def sagemaker_emulator_command(
    endpoints: Mapping[str, EmulatedEndpoint], aws: AwsEndpoint | None = None
) -> ServerCommand:
    """The command of an emulator process serving ``endpoints``; asynchronous ones use S3 and
    SNS at ``aws`` (the local stack's moto server).

    Raises:
        ConfigurationError: a variant's model is not an http(s) URL.
    """
    problems = [problem for name, endpoint in endpoints.items() for problem in endpoint.url_problems(name)]
    if problems:
        raise ConfigurationError(problems)
    arguments = ["--endpoints", endpoints_to_json(endpoints)]
    if aws is not None:
        arguments += ["--aws-endpoint-url", aws.endpoint_url, "--aws-region", aws.region]
    return ServerCommand("model_runner.local.sagemaker", tuple(arguments))


def start_sagemaker_emulator(
    endpoints: Mapping[str, EmulatedEndpoint], aws: AwsEndpoint | None = None
) -> ServerProcess:
    """Start an emulator process serving ``endpoints``; use the result as a context manager."""
    return start_servers([sagemaker_emulator_command(endpoints, aws)])[0]
