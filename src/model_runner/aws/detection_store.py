"""The workspace of an image in progress: what each region leaves for the image's completion,
kept in S3 until the image completes (see :mod:`model_runner.handlers.region_features`).

Keys are derived from the image and region ids and the object's name, so a redelivered region
overwrites its own objects instead of adding a second copy.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

from botocore.exceptions import ClientError

from model_runner.aws.service_errors import aws_call, error_code

PREFIX = "workspace"


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:24]


class DetectionStore:
    """Region objects of images in progress, in an S3 bucket reached by an injected client."""

    def __init__(self, client: Any, bucket: str) -> None:
        self._client = client
        self.bucket = bucket

    def put(self, image_id: str, region_id: str, name: str, body: bytes) -> None:
        """Keep one object of a region, replacing an earlier one of the same name."""
        key = self._key(image_id, region_id, name)
        with aws_call(f"store {name} of region {region_id} in s3://{self.bucket}/{key}"):
            self._client.put_object(Bucket=self.bucket, Key=key, Body=body)

    def get(self, image_id: str, region_id: str, name: str) -> bytes | None:
        """An object of a region; None when there is none."""
        key = self._key(image_id, region_id, name)
        with aws_call(f"read s3://{self.bucket}/{key}"):
            try:
                body: bytes = self._client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
            except ClientError as error:
                if error_code(error) in ("NoSuchKey", "404"):
                    return None
                raise
        return body

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

    def _key(self, image_id: str, region_id: str, name: str) -> str:
        return f"{self._prefix(image_id)}{_digest(region_id)}/{name}"

    @staticmethod
    def _prefix(image_id: str) -> str:
        return f"{PREFIX}/{_digest(image_id)}/"
