"""The emulator's endpoints as the SageMaker control plane (the moto server) describes them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from model_runner.inference.sagemaker import INSTANCE_CONCURRENCY_TAG
from model_runner.local.aws import DUMMY_CREDENTIAL, AwsEndpoint
from model_runner.local.processes import LocalStackError
from model_runner.local.sagemaker.endpoints import EmulatedAsyncConfig, EmulatedEndpoint, EmulatedVariant

if TYPE_CHECKING:
    from mypy_boto3_sagemaker import SageMakerClient

EXECUTION_ROLE = "arn:aws:iam::123456789012:role/model-runner-emulated-model"
MODEL_IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/model-runner-emulated-model:latest"
INSTANCE_TYPE = "ml.m5.xlarge"


def provision_sagemaker_endpoints(endpoint: AwsEndpoint, endpoints: Mapping[str, EmulatedEndpoint]) -> None:
    """Create, for each endpoint, a model per variant, an endpoint configuration and the endpoint.

    DescribeEndpoint then reports each variant's weight and instance count, and
    DescribeEndpointConfig an endpoint's asynchronous configuration.

    Raises:
        LocalStackError: the control plane refused a resource.
    """
    sagemaker = sagemaker_client(endpoint)
    try:
        for name, emulated in endpoints.items():
            _create(sagemaker, name, emulated)
    except ClientError as error:
        raise LocalStackError(f"cannot create the SageMaker endpoints: {error}") from error


def sagemaker_client(endpoint: AwsEndpoint) -> SageMakerClient:
    """A SageMaker control-plane client of ``endpoint`` with its dummy credentials."""
    import boto3  # here, not at the top: the emulator process never needs it

    return boto3.client(
        "sagemaker",
        endpoint_url=endpoint.endpoint_url,
        region_name=endpoint.region,
        aws_access_key_id=DUMMY_CREDENTIAL,
        aws_secret_access_key=DUMMY_CREDENTIAL,
    )


def _create(sagemaker: SageMakerClient, name: str, emulated: EmulatedEndpoint) -> None:
    for variant in emulated.variants:
        sagemaker.create_model(
            ModelName=f"{name}-{variant.name}",
            ExecutionRoleArn=EXECUTION_ROLE,
            PrimaryContainer={"Image": MODEL_IMAGE, "Environment": {"EMULATED_MODEL_URL": variant.model}},
        )
    config: dict[str, Any] = {
        "EndpointConfigName": f"{name}-config",
        "ProductionVariants": [_variant(name, variant) for variant in emulated.variants],
    }
    if emulated.async_config is not None:
        config["AsyncInferenceConfig"] = _async_config(emulated.async_config)
    sagemaker.create_endpoint_config(**config)
    concurrency = emulated.instance_concurrency
    sagemaker.create_endpoint(
        EndpointName=name,
        EndpointConfigName=f"{name}-config",
        Tags=[{"Key": INSTANCE_CONCURRENCY_TAG, "Value": str(concurrency)}]
        if concurrency is not None
        else [],
    )


def _variant(name: str, variant: EmulatedVariant) -> dict[str, Any]:
    described: dict[str, Any] = {
        "VariantName": variant.name,
        "ModelName": f"{name}-{variant.name}",
        "InitialVariantWeight": variant.weight,
    }
    if variant.serverless_max_concurrency is not None:
        described["ServerlessConfig"] = {
            "MemorySizeInMB": 2048,
            "MaxConcurrency": variant.serverless_max_concurrency,
        }
    else:
        described.update(InitialInstanceCount=variant.instance_count, InstanceType=INSTANCE_TYPE)
    return described


def _async_config(config: EmulatedAsyncConfig) -> dict[str, Any]:
    output: dict[str, Any] = {"S3OutputPath": config.output_s3_path}
    if config.failure_s3_path is not None:
        output["S3FailurePath"] = config.failure_s3_path
    topics = {"SuccessTopic": config.success_topic, "ErrorTopic": config.error_topic}
    if notification := {key: topic for key, topic in topics.items() if topic is not None}:
        output["NotificationConfig"] = notification
    return {"OutputConfig": output}
