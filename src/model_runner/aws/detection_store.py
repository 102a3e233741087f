"""The workspace of an image in progress: each region's raw detections, kept in S3 until the image
completes and the worker that completes it distils them all at once.

Keys are derived from the image and region ids, so a redelivered region overwrites its own
object instead of adding a second copy of its detections.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Iterator, Sequence
from typing import Any

from model_runner.aws.service_errors import aws_call
from model_runner.features import FeatureClass, PixelFeature
from model_runner.features.detection_batch import DetectedFeature

PREFIX = "workspace"


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:24]


class DetectionStore:
    """Region detections of images in progress, in an S3 bucket reached by an injected client."""

    def __init__(self, client: Any, bucket: str) -> None:
        self._client = client
        self.bucket = bucket

    def put(self, image_id: str, region_id: str, detections: Sequence[DetectedFeature]) -> None:
        """Keep the detections of one region (full-image pixels), replacing any earlier copy."""
        body = gzip.compress(
            json.dumps([_encode(detection) for detection in detections], separators=(",", ":")).encode(),
            compresslevel=3,
        )
        key = f"{self._prefix(image_id)}{_digest(region_id)}.json.gz"
        with aws_call(f"store detections of region {region_id} in s3://{self.bucket}/{key}"):
            self._client.put_object(Bucket=self.bucket, Key=key, Body=body)

    def load(self, image_id: str) -> Iterator[list[PixelFeature]]:
        """The stored detections of every region of an image, one list per region."""
        for key in self._keys(image_id):
            with aws_call(f"read s3://{self.bucket}/{key}"):
                body = self._client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
            yield [_decode(item) for item in json.loads(gzip.decompress(body))]

    def clear(self, image_id: str) -> None:
        """Remove an image's workspace once its features are written."""
        keys = list(self._keys(image_id))
        for start in range(0, len(keys), 1000):
            batch = [{"Key": key} for key in keys[start : start + 1000]]
            with aws_call(f"clear the workspace of {image_id} in s3://{self.bucket}"):
                self._client.delete_objects(Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True})

    def _keys(self, image_id: str) -> Iterator[str]:
        with aws_call(f"list the workspace of {image_id} in s3://{self.bucket}"):
            pages = self._client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self._prefix(image_id)
            )
            for page in pages:
                for item in page.get("Contents", []):
                    yield item["Key"]

    @staticmethod
    def _prefix(image_id: str) -> str:
        return f"{PREFIX}/{_digest(image_id)}/"


def _encode(detection: DetectedFeature) -> dict[str, Any]:
    return {
        "geometry": detection.geometry,
        "bbox": list(detection.bbox),
        "classes": [[item.iri, item.score] for item in detection.classes],
        "properties": dict(detection.properties),
    }


def _decode(item: dict[str, Any]) -> PixelFeature:
    return PixelFeature.of(
        item["geometry"],
        [FeatureClass(iri, score) for iri, score in item["classes"]],
        item["properties"],
        tuple(item["bbox"]),
    )
