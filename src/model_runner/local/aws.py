"""The moto server's command, and boto3 clients pointed at an AWS endpoint."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, overload

from model_runner.local.processes import ServerCommand

if TYPE_CHECKING:
    from botocore.client import BaseClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_kinesis import KinesisClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient

DUMMY_CREDENTIAL = "testing"
DEFAULT_REGION = "us-east-1"
AwsService = Literal["dynamodb", "kinesis", "s3", "sns", "sqs"]


@dataclass(frozen=True)
class AwsEndpoint:
    """Where the fake AWS answers, and the region and dummy credentials to call it with."""

    endpoint_url: str
    region: str = DEFAULT_REGION

    def environment(self) -> dict[str, str]:
        """The variables that point another process's boto3 (and the worker's /vsis3) here."""
        return {
            "AWS_DEFAULT_REGION": self.region,
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": DUMMY_CREDENTIAL,
            "AWS_SECRET_ACCESS_KEY": DUMMY_CREDENTIAL,
        }

    @overload
    def boto3_client(self, service: Literal["dynamodb"]) -> DynamoDBClient: ...
    @overload
    def boto3_client(self, service: Literal["kinesis"]) -> KinesisClient: ...
    @overload
    def boto3_client(self, service: Literal["s3"]) -> S3Client: ...
    @overload
    def boto3_client(self, service: Literal["sns"]) -> SNSClient: ...
    @overload
    def boto3_client(self, service: Literal["sqs"]) -> SQSClient: ...

    def boto3_client(self, service: AwsService) -> BaseClient:
        """A boto3 client of ``service`` that calls this endpoint with the dummy credentials."""
        import boto3  # here, not at the top: the model server processes never need it
        from botocore.config import Config

        return boto3.client(
            service,
            endpoint_url=self.endpoint_url,
            region_name=self.region,
            aws_access_key_id=DUMMY_CREDENTIAL,
            aws_secret_access_key=DUMMY_CREDENTIAL,
            config=Config(retries={"max_attempts": 2, "mode": "standard"}),
        )


MOTO_SERVER = ServerCommand("model_runner.local.moto_server_main")
"""A moto server on a free loopback port; its URL is an :class:`AwsEndpoint`'s endpoint."""
