"""Hostile requests through the local stack, as a security reviewer would send them (loopback only):
each ends FAILED with a reason naming the key, nothing is read or fetched, and the worker then
processes a good job. The worker runs with production's strictness: no local paths, one model
allow-listed."""

from __future__ import annotations

import json
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from canary import Canary, canary_server
from e2e_pipeline_support import generated_image, image_messages, region_rows, wait_for_workers, wait_until
from e2e_support import IMAGES_BUCKET, StatusCapture, image_request, send, upload, wait_for_images

from model_runner.local import LocalStack

pytestmark = pytest.mark.e2e

SECRET_BODY = b'{"Code": "Success", "AccessKeyId": "ASIAINTERNALSERVICE1", "Token": "internal-only-body"}'


@pytest.fixture
def canary() -> Iterator[Canary]:
    with canary_server() as served:
        yield served


def strict(stack: LocalStack, *extra_models: str) -> dict[str, str]:
    """Production's settings on the stack: no local paths, only the centerpoint model allowed."""
    allowed = ",".join([stack.model_url("centerpoint"), *extra_models])
    return {"IMAGE_ALLOW_LOCAL_PATHS": "false", "MODEL_ENDPOINT_ALLOWLIST": allowed, "MODEL_MAX_RETRIES": "0"}


def vrt_on_s3(stack: LocalStack, source: str) -> str:
    """A VRT in the images bucket whose one source is ``source``; its s3:// URL."""
    text = (
        '<VRTDataset rasterXSize="256" rasterYSize="256">'
        "<GeoTransform>10, 1e-5, 0, 50, 0, -1e-5</GeoTransform>"
        '<VRTRasterBand dataType="Byte" band="1"><SimpleSource>'
        f'<SourceFilename relativeToVRT="0">{source}</SourceFilename><SourceBand>1</SourceBand>'
        "</SimpleSource></VRTRasterBand></VRTDataset>"
    )
    key = f"e2e-security/{uuid.uuid4().hex[:8]}/hostile.vrt"
    stack.boto3_client("s3").put_object(Bucket=IMAGES_BUCKET, Key=key, Body=text.encode())
    return f"s3://{IMAGES_BUCKET}/{key}"


def test_hostile_requests_fail_naming_their_key_and_nothing_is_read_or_fetched(
    stack: LocalStack, in_process_worker: Any, imagery_dir: Path, canary: Canary, tmp_path: Path
) -> None:
    local_tif = str(imagery_dir / "RGB.byte.tif")
    on_s3 = upload(stack, imagery_dir / "RGB.byte.tif").removeprefix("s3://")
    attacks: list[tuple[dict[str, Any], str]] = [
        ({"imageUrls": [local_tif]}, "imageUrls[0]: paths on the worker's disk are not accepted"),
        ({"imageUrls": ["/etc/hostname"]}, "imageUrls[0]: paths on the worker's disk are not accepted"),
        ({"imageUrls": [f"/vsizip/{tmp_path}/a.zip/x.tif"]}, "imageUrls[0]: GDAL virtual paths"),
        ({"imageUrls": [f"/vsis3/{on_s3}"]}, "imageUrls[0]: GDAL virtual paths"),
        (
            {"imageUrls": ["/vsicurl?url=" + quote(f"{canary.url}/image.tif", safe="")]},
            "imageUrls[0]: GDAL virtual paths",
        ),
        ({"imageUrls": [f"{canary.url}/image.tif"]}, "imageUrls[0]: the http form is not accepted"),
        ({"imageUrls": [vrt_on_s3(stack, local_tif)]}, "outside the locations this image may read"),
        ({"imageUrls": [vrt_on_s3(stack, "/etc/hostname")]}, "outside the locations this image may read"),
        (
            {"imageUrls": [vrt_on_s3(stack, f"/vsicurl/{canary.url}/source.tif")]},
            "outside the locations this image may read",
        ),
        (
            {"imageProcessor": {"name": f"{canary.url}/invocations", "type": "HTTP_ENDPOINT"}},
            "imageProcessor.name: http://127.0.0.1",
        ),
        (
            {"imageProcessor": {"name": "http://169.254.169.254/latest/meta-data/", "type": "HTTP_ENDPOINT"}},
            "imageProcessor.name: http://169.254.169.254/latest/meta-data/ is not in MODEL_ENDPOINT",
        ),
        (
            {"imageProcessor": {"name": "http://u:hunter2@127.0.0.1:1/invocations", "type": "HTTP_ENDPOINT"}},
            "imageProcessor.name: must not carry credentials",
        ),
    ]
    good_url = upload(stack, imagery_dir / "RGB.byte.tif")
    in_process_worker(**strict(stack))

    bodies = []
    for keys, _ in attacks:
        body = image_request(stack, [good_url], **keys)
        bodies.append(body)
        send(stack, body)
    good = image_request(stack, [good_url])
    send(stack, good)

    for body, (_, named) in zip(bodies, attacks, strict=True):
        outcome = wait_for_images(stack, body["jobId"], body["imageUrls"], timeout_s=60).only
        assert outcome.status == "FAILED", body
        assert named in outcome.message, outcome.message
        assert "hunter2" not in outcome.message
    assert canary.seen == []
    assert wait_for_images(stack, good["jobId"], [good_url]).only.status == "SUCCESS"


def test_a_refused_local_path_fails_the_same_whether_it_exists_or_not(
    stack: LocalStack, in_process_worker: Any
) -> None:
    in_process_worker(**strict(stack))
    messages = []
    for path in ("/etc/hostname", f"/etc/{uuid.uuid4().hex}"):
        body = image_request(stack, [path])
        send(stack, body)
        outcome = wait_for_images(stack, body["jobId"], [path], timeout_s=60).only
        messages.append(outcome.message)
    assert messages[0] == messages[1]


def test_an_allow_listed_endpoints_error_body_reaches_neither_the_table_nor_the_events(
    stack: LocalStack, statuses: StatusCapture, in_process_worker: Any, tmp_path: Path
) -> None:
    url = generated_image(stack, tmp_path, 256, 256)
    with canary_server(Canary(status=500, body=SECRET_BODY)) as internal:
        model = f"{internal.url}/invocations"
        in_process_worker(**strict(stack, model))
        body = image_request(stack, [url], imageProcessor={"name": model, "type": "HTTP_ENDPOINT"})
        send(stack, body)
        outcome = wait_for_images(stack, body["jobId"], [url], timeout_s=60).only
        assert internal.seen, "the allow-listed endpoint was called"

    assert outcome.status == "FAILED"
    (region,) = region_rows(stack, outcome.image_id)
    assert region.failures and all("HTTP 500" in reason for reason in region.failures)
    wait_until(lambda: len(image_messages(statuses, body["jobId"])) == 2, 30, "the terminal status event")
    published = json.dumps(statuses.for_job(body["jobId"]) + image_messages(statuses, body["jobId"]))
    for text in (outcome.message, *region.failures, published):
        assert "ASIAINTERNALSERVICE1" not in text and "internal-only-body" not in text


def assumed_credentials(stack: LocalStack, role_arn: str) -> list[str]:
    """The access key ids, secrets and session tokens moto's STS handed out for ``role_arn``."""
    with urllib.request.urlopen(f"{stack.endpoint_url}/moto-api/data.json", timeout=10) as answer:
        state = json.load(answer)
    return [
        role[name]
        for role in state.get("sts", {}).get("AssumedRole", [])
        if role.get("role_arn") == role_arn
        for name in ("access_key_id", "secret_access_key", "session_token")
    ]


def test_no_credential_reaches_the_logs_of_a_debug_run_with_an_assumed_role(
    stack: LocalStack, worker_processes: Any, imagery_dir: Path, tmp_path: Path
) -> None:
    role_arn = f"arn:aws:iam::123456789012:role/e2e-debug-{uuid.uuid4().hex[:8]}"
    url = upload(stack, imagery_dir / "RGB.byte.tif")
    worker = worker_processes(LOG_LEVEL="DEBUG", LOG_FORMAT="json", REGION_SIZE="512", METRICS_ENABLED="true")
    wait_for_workers([worker], tmp_path)
    body = image_request(stack, [url], imageReadRole=role_arn)
    send(stack, body)
    assert wait_for_images(stack, body["jobId"], [url]).only.status == "SUCCESS"

    credentials = assumed_credentials(stack, role_arn)
    log = (tmp_path / "worker-0.log").read_text()
    assert len(credentials) == 3, "the worker assumed the image read role once"
    assert body["jobId"] in log, "the log holds the job's records"
    for value in credentials:
        assert value not in log
