"""The STAC sink: each image's FeatureCollection and, beside it, a STAC Item that validates.

Schemas: pystac ships the STAC 1.1.0 core and GeoJSON JSON schemas and validates against them
offline (the network is shut in these tests, so nothing is fetched). No PyPI package bundles the
label extension's schema (pystac-ext-label and stac-validator fetch it at run time), so the label
fields are checked through pystac's label extension, field by field as the extension defines them.
"""

from __future__ import annotations

import json
import socket
import warnings
from collections.abc import Callable
from typing import Any

import pystac
import pytest
import shapely.geometry
from pystac.validation import validate_dict

from model_runner.api import parse_image_request
from model_runner.sinks import ImageMetadata, SinkError, StacSink, object_key
from model_runner.sinks.factory import RequestSinks
from model_runner.sinks.stac import MeasuredFeatures, stac_item
from model_runner.testing import FeatureList

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from pystac.extensions.label import LabelExtension, LabelType

BUCKET = "mr-results"
FOOTPRINT = {
    "type": "Polygon",
    "coordinates": [[[9.9, 49.9], [10.1, 49.9], [10.1, 50.1], [9.9, 50.1], [9.9, 49.9]]],
}
METADATA = ImageMetadata(
    source_url="s3://imagery/2024/scene_01.tif",
    footprint=FOOTPRINT,
    inference_time="2026-03-01T10:00:00+00:00",
)


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """No name resolves and no connection opens: schemas must come from the installed packages."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise OSError("the network is shut in this test")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)


def classified(make_features: Callable[..., list[dict[str, Any]]]) -> list[dict[str, Any]]:
    features = make_features(5)
    for index, feature in enumerate(features):
        feature["bbox"] = [10.0 + index * 1e-4, 50.0, 10.0 + index * 1e-4, 50.0]
        feature["properties"]["featureClasses"] = [{"iri": "vessel" if index < 2 else "car", "score": 0.8}]
    return features


def test_writes_the_features_and_an_item_beside_them(
    s3: Any, make_features: Callable[..., list[dict[str, Any]]]
) -> None:
    s3.create_bucket(Bucket=BUCKET)
    features = classified(make_features)

    report = StacSink(s3, BUCKET, "stac").write(
        "job-1", "job-1:img", FeatureList(features), metadata=METADATA
    )

    labels_key = object_key("stac", "job-1", "job-1:img")  # stac/job-1/job-1_img~<digest>.geojson
    item_key = labels_key.removesuffix(".geojson") + ".item.json"
    assert report.location == f"s3://{BUCKET}/{item_key}"
    item = json.loads(s3.get_object(Bucket=BUCKET, Key=item_key)["Body"].read())
    labels = item["assets"]["labels"]
    assert labels["href"] == f"s3://{BUCKET}/{labels_key}"
    assert labels["type"] == "application/geo+json" and "labels" in labels["roles"]
    written = json.loads(s3.get_object(Bucket=BUCKET, Key=labels_key)["Body"].read())
    assert [feature["id"] for feature in written["features"]] == [feature["id"] for feature in features]


def streamed(features: list[dict[str, Any]]) -> MeasuredFeatures:
    """The features as the sink measures them, once they streamed by (as after their upload)."""
    measured = MeasuredFeatures(FeatureList(features))
    for _ in measured.chunks():
        pass
    return measured


@pytest.mark.usefixtures("offline")
def test_the_item_validates_against_the_stac_schemas_and_describes_the_labels(
    make_features: Callable[..., list[dict[str, Any]]],
) -> None:
    item = stac_item("job-1", "job-1:img", streamed(classified(make_features)), METADATA, "s3://r/x.geojson")
    document = item.to_dict(include_self_link=False)

    assert validate_dict(document, stac_object_type=pystac.STACObjectType.ITEM, extensions=[]) == [
        "https://schemas.stacspec.org/v1.1.0/item-spec/json-schema/item.json"
    ]
    assert document["geometry"] == FOOTPRINT
    assert document["bbox"] == list(shapely.geometry.shape(FOOTPRINT).bounds)
    assert document["properties"]["datetime"] == "2026-03-01T10:00:00Z"
    assert {"rel": "source", "href": "s3://imagery/2024/scene_01.tif"}.items() <= next(
        link for link in document["links"] if link["rel"] == "source"
    ).items()
    label = LabelExtension.ext(pystac.Item.from_dict(document))
    assert label.label_type == LabelType.VECTOR
    assert label.label_properties == ["featureClasses"]
    assert label.label_description
    assert [(group.name, group.classes) for group in label.label_classes] == [
        ("featureClasses", ["car", "vessel"])
    ]
    (overview,) = label.label_overviews or []
    assert {count.name: count.count for count in overview.counts or []} == {"car": 3, "vessel": 2}


def test_without_a_footprint_the_item_covers_the_features(
    make_features: Callable[..., list[dict[str, Any]]],
) -> None:
    item = stac_item("job-1", "img", streamed(classified(make_features)), ImageMetadata(), "s3://r/x.geojson")

    assert item.bbox == [10.0, 50.0, 10.0 + 4e-4, 50.0]


def test_a_missing_bucket_is_a_sink_error_naming_it(
    s3: Any, make_features: Callable[..., list[dict[str, Any]]]
) -> None:
    with pytest.raises(SinkError, match="'absent'"):
        StacSink(s3, "absent").write("job-1", "img", FeatureList(make_features(1)), metadata=METADATA)


def test_a_stac_output_of_a_request_builds_the_stac_sink(s3: Any) -> None:
    request, _ = parse_image_request(
        {
            "jobId": "j",
            "imageUrls": ["s3://imagery/a.tif"],
            "imageProcessor": {"name": "http://127.0.0.1:1/invocations", "type": "HTTP_ENDPOINT"},
            "outputs": [{"type": "stac", "bucket": "catalogue", "prefix": "labels"}],
        }
    )

    (sink,) = RequestSinks(lambda service, role_arn=None: s3)(request.outputs)

    assert isinstance(sink, StacSink) and sink.description == "STAC in S3 bucket 'catalogue'"
