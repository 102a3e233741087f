"""The workspace of an image in progress: each region's raw detections, kept in S3 until the image
completes and the worker that completes it distils them all at once.

Each detection is kept as the model returned it (tile pixels) with its tile's origin, so the
completing worker knows which detections came from the same tile (distillation merges only
across tiles).

Keys are derived from the image and region ids, so a redelivered region overwrites its own
object instead of adding a second copy of its detections.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Iterator
from itertools import groupby
from typing import Any

from model_runner.aws.service_errors import aws_call
from model_runner.features import DetectionBatch, FeatureClass, PixelFeature

PREFIX = "workspace"


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:24]


class DetectionStore:
    """Region detections of images in progress, in an S3 bucket reached by an injected client."""

    def __init__(self, client: Any, bucket: str) -> None:
        self._client = client
        self.bucket = bucket

    def put(self, image_id: str, region_id: str, detections: DetectionBatch) -> None:
        """Keep the detections of one region, replacing any earlier copy."""
        rows = zip(detections.features, detections.origins.tolist(), strict=True)
        items = [_encode(feature, origin) for feature, origin in rows]
        body = gzip.compress(json.dumps(items, separators=(",", ":")).encode(), compresslevel=3)
        key = f"{self._prefix(image_id)}{_digest(region_id)}.json.gz"
        with aws_call(f"store detections of region {region_id} in s3://{self.bucket}/{key}"):
            self._client.put_object(Bucket=self.bucket, Key=key, Body=body)

    def load(self, image_id: str) -> Iterator[DetectionBatch]:
        """The stored detections of every region of an image, one batch per region."""
        for key in self._keys(image_id):
            with aws_call(f"read s3://{self.bucket}/{key}"):
                body = self._client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
            items = json.loads(gzip.decompress(body))
            yield DetectionBatch.concat(
                DetectionBatch.from_tile([_decode(item) for item in tile], tuple(origin))
                for origin, tile in groupby(items, key=lambda item: item["tile"])
            )

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


def _encode(feature: PixelFeature, origin: list[float]) -> dict[str, Any]:
    return {
        "geometry": feature.geometry,
        "bbox": list(feature.bbox),
        "classes": [[item.iri, item.score] for item in feature.classes],
        "properties": dict(feature.properties),
        "tile": origin,
    }


def _decode(item: dict[str, Any]) -> PixelFeature:
    return PixelFeature.of(
        item["geometry"],
        [FeatureClass(iri, score) for iri, score in item["classes"]],
        item["properties"],
        tuple(item["bbox"]),
    )
