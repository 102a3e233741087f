"""One synthesis of the CDK app per session, with every deployment option set."""

from __future__ import annotations

import pytest
from cdk_synthesis import Synthesized, synthesize

DEPLOYMENT_CONTEXT = {
    "imageBucketNames": "customer-imagery,archive-imagery",
    "modelEndpointNames": ["Ship-Detector"],
    "modelEndpointPrefix": "Aircraft-",
    "userRoleArns": "arn:aws:iam::111122223333:role/image-reader",
    "modelEndpointAllowlist": "https://models.example.com/detect,10.1.2.3:8080",
    "modelEgress": "10.20.0.0/16:8080",
    "imageSourcePrefixes": "s3://archive-imagery/dem/",
    "asyncEndpointRoleArns": "arn:aws:iam::111122223333:role/ship-detector-async",
    "alarmEmail": "ops@example.com",
    "minTasks": 0,
    "maxTasks": 6,
    "workerSettings": '{"REGION_SIZE": "8192", "SCHEDULER_THROTTLING_ENABLED": "true"}',
}


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    return synthesize(DEPLOYMENT_CONTEXT, tmp_path_factory.mktemp("cdk.out"))
