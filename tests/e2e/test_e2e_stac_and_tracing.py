"""A job through a worker with a STAC output, and with tracing on: the Item and its labels as a
catalogue reads them, and the X-Ray segments as a daemon receives them."""

from __future__ import annotations

import json
import socket
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

import pystac
import pytest
import shapely.geometry
from e2e_support import RESULTS_BUCKET, image_request, send, upload, wait_for_images
from pystac.validation import validate_dict
from xray_daemon import Daemon

from model_runner.api import image_id_for
from model_runner.local import LocalStack
from model_runner.sinks import object_key

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from pystac.extensions.label import LabelExtension

pytestmark = pytest.mark.e2e


def test_a_stac_output_describes_the_processed_area_the_labels_and_the_source(
    stack: LocalStack, in_process_worker: Any, imagery_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    in_process_worker()
    url = upload(stack, imagery_dir / "RGB.byte.tif")
    body = image_request(
        stack, [url], model="flood", outputs=[{"type": "STAC", "bucket": RESULTS_BUCKET, "prefix": "stac"}]
    )
    send(stack, body)
    (outcome,) = wait_for_images(stack, body["jobId"], [url]).images.values()
    assert outcome.status == "SUCCESS", outcome.message

    s3 = stack.boto3_client("s3")
    labels_key = object_key("stac", body["jobId"], image_id_for(body["jobId"], url))
    item_key = labels_key.removesuffix(".geojson") + ".item.json"
    document = json.loads(s3.get_object(Bucket=RESULTS_BUCKET, Key=item_key)["Body"].read())
    features = json.loads(s3.get_object(Bucket=RESULTS_BUCKET, Key=labels_key)["Body"].read())["features"]
    monkeypatch.setattr(
        socket, "getaddrinfo", lambda *args, **kwargs: (_ for _ in ()).throw(OSError("offline"))
    )

    assert validate_dict(document, stac_object_type=pystac.STACObjectType.ITEM, extensions=[])
    assert document["assets"]["labels"]["href"] == f"s3://{RESULTS_BUCKET}/{labels_key}"
    assert [link["href"] for link in document["links"] if link["rel"] == "source"] == [url]
    area = shapely.geometry.shape(document["geometry"])
    assert area.is_valid and document["bbox"] == pytest.approx(list(area.bounds))
    centres = [
        shapely.Point(feature["properties"]["center_longitude"], feature["properties"]["center_latitude"])
        for feature in features
    ]
    assert features and all(area.buffer(1e-9).contains(centre) for centre in centres)
    label = LabelExtension.ext(pystac.Item.from_dict(document))
    expected = Counter(
        item["iri"] for feature in features for item in feature["properties"]["featureClasses"]
    )
    (overview,) = label.label_overviews or []
    assert {count.name: count.count for count in overview.counts or []} == dict(expected)
    assert label.label_classes[0].classes == sorted(expected)


def test_tracing_sends_a_segment_per_image_and_region_with_every_model_call(
    stack: LocalStack, in_process_worker: Any, imagery_dir: Path, xray_daemon: Daemon
) -> None:
    in_process_worker(TRACING_ENABLED="true", TRACING_DAEMON_ADDRESS=xray_daemon.address, REGION_SIZE="512")
    url = upload(stack, imagery_dir / "RGB.byte.tif")
    body = image_request(stack, [url])
    send(stack, body)
    wait_for_images(stack, body["jobId"], [url])
    image_id = image_id_for(body["jobId"], url)

    documents = xray_daemon.documents()

    segments = [document for document in documents if document.get("type") != "subsegment"]
    assert sorted(segment["annotations"]["work"] for segment in segments) == ["image", "region"]
    assert all(segment["annotations"]["image_id"] == image_id for segment in segments)
    assert all(segment["annotations"]["job_id"] == body["jobId"] for segment in segments)
    # Subsegments arrive inside their segment, or on their own when the SDK streams them.
    subsegments = [document for document in documents if document.get("type") == "subsegment"]
    subsegments += [sub for document in documents for sub in nested(document)]
    names = Counter(subsegment["name"] for subsegment in subsegments)
    assert names["region"] == 1  # the first region, inside the image's segment
    assert names["completion"] == 1
    assert names["model"] == 16  # every tile: 791 x 718 pixels, tile 256, overlap 32
    models = [subsegment for subsegment in subsegments if subsegment["name"] == "model"]
    assert all(model["annotations"]["image_id"] == image_id for model in models)


def nested(entity: dict[str, Any]) -> list[dict[str, Any]]:
    """Every subsegment under an entity, at any depth."""
    found = []
    for sub in entity.get("subsegments", []):
        found += [sub, *nested(sub)]
    return found
