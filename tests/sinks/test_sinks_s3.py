"""The S3 sink: one FeatureCollection object per image, at a deterministic key."""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable, Iterator
from hashlib import sha256
from typing import Any

import pytest
from botocore.exceptions import ClientError
from in_flight import InFlight

from model_runner.features.encoded_features import EncodedFeatures
from model_runner.sinks import ImageMetadata, S3Sink, SinkError, object_key
from model_runner.sinks.s3 import MIN_PART_SIZE, PARTS_IN_FLIGHT
from model_runner.testing import FeatureList

BUCKET = "mr-results"
Features = Callable[..., list[dict[str, Any]]]


def read_json(s3: Any, key: str) -> Any:
    return json.loads(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())


@pytest.fixture
def bucket(s3: Any) -> Any:
    s3.create_bucket(Bucket=BUCKET)
    return s3


def test_small_output_is_one_feature_collection_object(
    bucket: Any, recording: Any, make_features: Features
) -> None:
    client = recording(bucket)
    features = make_features(25)
    report = S3Sink(client, BUCKET, "out/").write(
        "job-1", "job-1:img", FeatureList(features), metadata=ImageMetadata("s3://imagery/2024/scene_01.ntf")
    )

    key = "out/job-1/scene_01~" + sha256(b"job-1:img").hexdigest()[:12] + ".geojson"
    assert report.location == f"s3://{BUCKET}/{key}"
    assert report.features_written == 25
    assert read_json(bucket, key) == {"type": "FeatureCollection", "features": features}
    assert bucket.head_object(Bucket=BUCKET, Key=key)["ContentType"] == "application/geo+json"
    assert client.names() == ["put_object"]


def test_large_output_goes_multipart_and_reads_back_intact(
    bucket: Any, recording: Any, make_features: Features
) -> None:
    client = recording(bucket)
    features = make_features(6000, pad=1000)  # about 6.3 MB: two parts of at least 5 MiB and a tail

    report = S3Sink(client, BUCKET, "", part_size=MIN_PART_SIZE).write(
        "job-2", "image-a", FeatureList(features)
    )

    parts = [len(kwargs["Body"]) for kwargs in client.kwargs_of("upload_part")]
    assert len(parts) == 2
    assert parts[0] >= MIN_PART_SIZE
    assert "put_object" not in client.names()
    assert read_json(bucket, "job-2/image-a.geojson")["features"] == features
    assert report.features_written == 6000


def test_failed_multipart_upload_is_aborted(bucket: Any, make_features: Features) -> None:
    class FailingSecondPart:
        def __init__(self, client: Any) -> None:
            self.client = client

        def __getattr__(self, name: str) -> Any:
            return getattr(self.client, name)

        def upload_part(self, **kwargs: Any) -> Any:
            if kwargs["PartNumber"] == 2:
                raise ClientError({"Error": {"Code": "InternalError", "Message": "boom"}}, "UploadPart")
            return self.client.upload_part(**kwargs)

    sink = S3Sink(FailingSecondPart(bucket), BUCKET, "p", part_size=MIN_PART_SIZE)  # type: ignore[arg-type]
    with pytest.raises(SinkError, match=r"s3://mr-results/p/job/image\.geojson: boom \(InternalError\)"):
        sink.write("job", "image", FeatureList(make_features(6000, pad=1000)))

    assert bucket.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []
    assert bucket.list_objects_v2(Bucket=BUCKET)["KeyCount"] == 0


def test_second_write_of_an_image_overwrites_the_same_object(bucket: Any, make_features: Features) -> None:
    sink = S3Sink(bucket, BUCKET, "results")
    metadata = ImageMetadata("/data/tiles/area.tif")
    sink.write("job-3", "job-3:area", FeatureList(make_features(5)), metadata=metadata)
    sink.write("job-3", "job-3:area", FeatureList(make_features(3)), metadata=metadata)

    key = object_key("results", "job-3", "job-3:area", "/data/tiles/area.tif")
    listing = bucket.list_objects_v2(Bucket=BUCKET)["Contents"]
    assert [item["Key"] for item in listing] == [key]
    assert key.startswith("results/job-3/area~")
    assert len(read_json(bucket, key)["features"]) == 3


def test_image_without_features_writes_an_empty_collection(bucket: Any) -> None:
    S3Sink(bucket, BUCKET).write("job", "image", FeatureList([]))

    assert read_json(bucket, "job/image.geojson") == {"type": "FeatureCollection", "features": []}


@pytest.mark.parametrize(
    ("prefix", "job_id", "image_id", "url", "expected"),
    [
        ("/a//b/", "job", "id", "s3://bucket/x/scene.ntf", "a/b/job/scene~a56145270ce6.geojson"),
        ("", "job", "id", "/local/dir/scene.v2.tif", "job/scene.v2~a56145270ce6.geojson"),
        (
            "out",
            "job 7",
            "job 7:s3://b/k.tif",
            None,
            "out/job_7~9baabbff386f/job_7_s3___b_k.tif~1f020a44c972.geojson",
        ),
        ("out", "job/../x", "id", "s3://bucket/", "out/job_.._x~4a5203d0e872/id.geojson"),
        ("", "job-1", "image-1", None, "job-1/image-1.geojson"),
    ],
)
def test_object_key_is_normalised_and_deterministic(
    prefix: str, job_id: str, image_id: str, url: str | None, expected: str
) -> None:
    assert object_key(prefix, job_id, image_id, url) == expected


@pytest.mark.parametrize(
    "job_ids",
    [
        ("港口-1", "机场-1", "__-1"),
        ("ports:2026", "ports/2026", "ports_2026", "ports 2026", "ports_2026~5eda0ac8087e"),
        ("a" * 300, "a" * 301, "a" * 120),
    ],
    ids=["non-latin", "punctuation", "long"],
)
def test_different_job_ids_never_share_an_object_and_keys_stay_readable(job_ids: tuple[str, ...]) -> None:
    keys = [object_key("out", job_id, f"{job_id}:s3://b/scene.tif") for job_id in job_ids]

    assert len(set(keys)) == len(keys)
    job_folders = [key.split("/")[1] for key in keys]
    assert len(set(job_folders)) == len(job_folders)
    readable = re.sub(r"[^A-Za-z0-9._=+-]", "_", job_ids[0])[:120]
    assert job_folders[0] == readable or job_folders[0].startswith(readable + "~")
    assert all(len(key.encode()) < 1024 for key in keys)  # S3's key limit


def test_missing_bucket_is_a_sink_error_naming_it(s3: Any, make_features: Features) -> None:
    with pytest.raises(SinkError, match="S3 bucket 'nowhere' does not exist") as caught:
        S3Sink(s3, "nowhere").write("job", "image", FeatureList(make_features(1)))

    assert caught.value.code == "NoSuchBucket"


def test_feature_that_is_not_valid_json_is_a_sink_error_naming_it(bucket: Any) -> None:
    feature = {"type": "Feature", "id": "bad-1", "geometry": None, "properties": {"score": math.nan}}

    with pytest.raises(SinkError, match="feature 'bad-1' cannot be written as JSON"):
        S3Sink(bucket, BUCKET).write("job", "image", FeatureList([feature]))


def test_part_size_below_the_s3_minimum_is_refused(s3: Any) -> None:
    with pytest.raises(ValueError, match="at least 5242880"):
        S3Sink(s3, BUCKET, part_size=MIN_PART_SIZE - 1)


def test_parts_going_up_at_once_make_the_object_in_order(bucket: Any, make_features: Features) -> None:
    class SlowFirstPart:
        """Part 1 answers last, after the parts sent with it."""

        def __init__(self, client: Any) -> None:
            self.client = client
            self.in_flight = InFlight()

        def __getattr__(self, name: str) -> Any:
            return getattr(self.client, name)

        def upload_part(self, **kwargs: Any) -> Any:
            with self.in_flight:
                time.sleep(0.6 if kwargs["PartNumber"] == 1 else 0.2)
                return self.client.upload_part(**kwargs)

    class Chunked:
        """Features in chunks of about 5.5 MB, as regions store them: a part each."""

        def __init__(self, features: list[dict[str, Any]]) -> None:
            self.lists = [
                FeatureList(features[start : start + 1100]) for start in range(0, len(features), 1100)
            ]
            self.count = len(features)
            self.class_counts = {"car": len(features)}

        def chunks(self) -> Iterator[EncodedFeatures]:
            return (chunk for features in self.lists for chunk in features.chunks())

    features = make_features(5500, pad=5000)  # about 28 MB: five parts of 5.5 MB
    client = SlowFirstPart(bucket)

    S3Sink(client, BUCKET, "", part_size=MIN_PART_SIZE).write(  # type: ignore[arg-type]
        "job-3", "image-a", Chunked(features)
    )

    assert client.in_flight.most == PARTS_IN_FLIGHT
    assert read_json(bucket, "job-3/image-a.geojson")["features"] == features
