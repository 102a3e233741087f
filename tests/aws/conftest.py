"""In-process moto fixtures for the adapter unit tests (end-to-end tests use the moto server)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from model_runner.aws.endpoint_statistics import EndpointStatisticsTable
from model_runner.aws.job_table import JobTable
from model_runner.aws.region_table import RegionTable
from model_runner.resources import RESOURCES, TableSpec


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield


def make_table(spec: TableSpec) -> Any:
    client = boto3.client("dynamodb", region_name="us-east-1")
    keys = [spec.partition_key] + ([spec.sort_key] if spec.sort_key else [])
    client.create_table(
        TableName=spec.name,
        KeySchema=[
            {"AttributeName": key.name, "KeyType": role}
            for key, role in zip(keys, ("HASH", "RANGE"), strict=False)
        ],
        AttributeDefinitions=[{"AttributeName": key.name, "AttributeType": key.type} for key in keys],
        BillingMode="PAY_PER_REQUEST",
    )
    return client


def table_spec(setting: str) -> TableSpec:
    return next(spec for spec in RESOURCES.tables if spec.setting == setting)


@pytest.fixture
def job_table(aws: None) -> JobTable:
    spec = table_spec("JOB_TABLE")
    return JobTable(make_table(spec), spec.name, ttl_days=7)


@pytest.fixture
def region_table(aws: None) -> RegionTable:
    spec = table_spec("REGION_REQUEST_TABLE")
    return RegionTable(make_table(spec), spec.name, ttl_days=7)


@pytest.fixture
def endpoint_table(aws: None) -> EndpointStatisticsTable:
    spec = table_spec("ENDPOINT_TABLE")
    return EndpointStatisticsTable(make_table(spec), spec.name)
