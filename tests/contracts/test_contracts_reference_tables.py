"""The DynamoDB rows carry the reference's job and region attributes, names and units, so tools
written against the reference's tables (its validator counts regions by ``region_status``) read ours."""

from __future__ import annotations

import time
from typing import Any

import pytest
from boto3.dynamodb.types import TypeDeserializer
from dynamodb_tables import make_table, table_spec

from model_runner.aws.job_table import JobTable
from model_runner.aws.region_table import RegionTable
from model_runner.status import ImageDetails, RegionDetails, Status

pytestmark = pytest.mark.usefixtures("aws")


def plain(item: dict[str, Any]) -> dict[str, Any]:
    deserializer = TypeDeserializer()
    return {name: deserializer.deserialize(value) for name, value in item.items()}


def test_the_job_row_has_the_reference_attributes() -> None:
    spec = table_spec("JOB_TABLE")
    client = make_table(spec)
    table = JobTable(client, spec.name, ttl_days=7)
    before_ms = int(time.time() * 1000)
    details = ImageDetails(
        model_name="centerpoint",
        model_invoke_mode="SM_ENDPOINT",
        tile_size=512,
        tile_overlap=128,
        outputs='[{"type": "S3", "bucket": "results"}]',
        feature_properties="[]",
        width=3376,
        height=2576,
        feature_distillation_option='{"algorithmType": "NMS", "iouThreshold": 0.75}',
    )

    table.start_image(
        image_id="img", job_id="job", job_name=None, image_url="s3://b/k", region_count=3, details=details
    )
    table.record_region("img", "r1", Status.SUCCESS, claimant="worker-1", lease_s=60)
    table.record_region("img", "r2", Status.PARTIAL, claimant="worker-1", lease_s=60)
    table.record_region("img", "r3", Status.FAILED, claimant="worker-1", lease_s=60)
    table.finish_image("img", Status.PARTIAL, "done")

    row = plain(client.get_item(TableName=spec.name, Key={"image_id": {"S": "img"}})["Item"])
    assert (row["region_count"], row["region_success"], row["region_error"]) == (3, 1, 2)
    assert before_ms <= row["start_time"] <= row["end_time"] <= int(time.time() * 1000)  # milliseconds
    assert row["expire_time"] == pytest.approx(row["start_time"] / 1000 + 7 * 24 * 3600, abs=2)  # seconds
    assert row["processing_duration"] == (row["end_time"] - row["start_time"]) // 1000  # whole seconds
    assert (row["tile_size"], row["tile_overlap"]) == ("(512, 512)", "(128, 128)")
    assert (row["model_name"], row["model_invoke_mode"], row["job_id"]) == (
        "centerpoint",
        "SM_ENDPOINT",
        "job",
    )
    assert (row["width"], row["height"], row["outputs"]) == (3376, 2576, details.outputs)


def test_the_region_row_has_the_reference_attributes() -> None:
    spec = table_spec("REGION_REQUEST_TABLE")
    client = make_table(spec)
    table = RegionTable(client, spec.name, ttl_days=7)
    details = RegionDetails(
        job_id="job",
        region_bounds=((0, 10240), (10240, 10240)),
        tile_size=512,
        tile_overlap=128,
        tile_format="NITF",
        tile_compression="NONE",
    )

    table.start_region("img", "r1", details)
    table.finish_region(
        "img",
        "r1",
        Status.PARTIAL,
        total_tiles=4,
        failed_tiles=1,
        failures=["tile 384,0: HTTP 500"],
        failed_tile_bounds=[((0, 384), (512, 512))],
    )

    row = plain(
        client.get_item(TableName=spec.name, Key={"image_id": {"S": "img"}, "region_id": {"S": "r1"}})["Item"]
    )
    assert row["region_status"] == "PARTIAL"
    assert (row["total_tiles"], row["failed_tile_count"], row["succeeded_tile_count"]) == (4, 1, 3)
    assert row["failed_tiles"] == [[[0, 384], [512, 512]]]
    assert row["processing_duration"] == row["end_time"] - row["start_time"]  # milliseconds
    assert row["start_time"] > 1e12 and row["last_updated_time"] == row["end_time"]
    assert row["region_bounds"] == [[0, 10240], [10240, 10240]]
    assert (row["tile_size"], row["tile_overlap"], row["tile_format"]) == ([512, 512], [128, 128], "NITF")
    assert row["job_id"] == "job" and "tile 384,0: HTTP 500" in row["message"]
