"""Each port's contract runs against its AWS adapter (in-process moto) and its in-memory fake, so
the fakes that handler unit tests use keep the adapters' promises."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from dynamodb_tables import make_table, table_spec
from manual_clock import ManualClock
from moto import mock_aws

from model_runner.aws.detection_store import DetectionStore
from model_runner.aws.job_table import JobTable
from model_runner.aws.region_schedule import RegionScheduleTable
from model_runner.aws.region_table import RegionTable
from model_runner.handlers.ports import DetectionWorkspace, JobStore, RegionSchedule, RegionStore
from model_runner.testing import (
    InMemoryJobStore,
    InMemoryRegionSchedule,
    InMemoryRegionStore,
    InMemoryWorkspace,
)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture(params=["dynamodb", "memory"])
def job_store(request: pytest.FixtureRequest, clock: ManualClock) -> JobStore:
    if request.param == "memory":
        return InMemoryJobStore(clock=clock)
    request.getfixturevalue("aws")
    spec = table_spec("JOB_TABLE")
    return JobTable(make_table(spec), spec.name, ttl_days=7, clock=clock)


@pytest.fixture(params=["dynamodb", "memory"])
def region_store(request: pytest.FixtureRequest) -> RegionStore:
    if request.param == "memory":
        return InMemoryRegionStore()
    request.getfixturevalue("aws")
    spec = table_spec("REGION_REQUEST_TABLE")
    return RegionTable(make_table(spec), spec.name, ttl_days=7)


@pytest.fixture(params=["dynamodb", "memory"])
def schedule(request: pytest.FixtureRequest, clock: ManualClock) -> RegionSchedule:
    if request.param == "memory":
        return InMemoryRegionSchedule(clock=clock)
    request.getfixturevalue("aws")
    spec = table_spec("ENDPOINT_TABLE")
    return RegionScheduleTable(make_table(spec), spec.name, clock=clock)


@pytest.fixture(params=["s3", "memory"])
def workspace(request: pytest.FixtureRequest) -> DetectionWorkspace:
    if request.param == "memory":
        return InMemoryWorkspace()
    request.getfixturevalue("aws")
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="workspace")
    return DetectionStore(s3, "workspace")
