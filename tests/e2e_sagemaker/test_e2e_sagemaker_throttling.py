"""Self-throttling (SM_SELF_THROTTLING): regions take one of the endpoint's slots, counted in the
endpoint statistics table, and a region that finds them all taken waits on the queue."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from e2e_sagemaker_support import DETECTOR
from e2e_support import image_request, send, upload, wait_for_images

from model_runner.local import LocalStack

pytestmark = pytest.mark.e2e


def in_flight(stack: LocalStack, endpoint: str) -> int:
    item = stack.boto3_client("dynamodb").get_item(
        TableName=stack.env["ENDPOINT_TABLE"], Key={"endpoint": {"S": endpoint}}, ConsistentRead=True
    )
    return int(item.get("Item", {}).get("regions_in_flight", {}).get("N", "0"))


def set_in_flight(stack: LocalStack, endpoint: str, count: int) -> None:
    stack.boto3_client("dynamodb").put_item(
        TableName=stack.env["ENDPOINT_TABLE"],
        Item={"endpoint": {"S": endpoint}, "regions_in_flight": {"N": str(count)}},
    )


def test_a_saturated_endpoint_holds_the_region_back_until_a_slot_frees(
    stack: LocalStack, in_process_worker: Any, imagery_dir: Path
) -> None:
    url = upload(stack, imagery_dir / "RGB.byte.tif")
    body = image_request(stack, [url], imageProcessor={"name": DETECTOR, "type": "SM_ENDPOINT"})
    set_in_flight(stack, DETECTOR, 1)  # the endpoint has 1 instance; scale factor 1: one slot, taken
    in_process_worker(SM_SELF_THROTTLING="true", THROTTLING_SCALE_FACTOR="1", THROTTLING_RETRY_TIMEOUT="1")

    send(stack, body)
    time.sleep(4)
    rows = stack.boto3_client("dynamodb").scan(TableName=stack.env["REGION_REQUEST_TABLE"])["Items"]
    held_back = [row for row in rows if row["image_id"]["S"].startswith(body["jobId"])]
    assert [row["region_status"]["S"] for row in held_back] == ["IN_PROGRESS"]
    image = stack.boto3_client("dynamodb").get_item(
        TableName=stack.env["JOB_TABLE"], Key={"image_id": {"S": held_back[0]["image_id"]["S"]}}
    )["Item"]
    assert "terminal_status" not in image

    set_in_flight(stack, DETECTOR, 0)
    outcome = wait_for_images(stack, body["jobId"], [url], timeout_s=60).only

    assert outcome.status == "SUCCESS", outcome.message
    assert len(outcome.features) == 16
    assert in_flight(stack, DETECTOR) == 0  # the slot was given back
