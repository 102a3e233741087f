"""The S3 objects of asynchronous inference: tiles put where the endpoint reads them, answers and
failures read where the endpoint wrote them, and all of them removed once the region is recorded."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from botocore.exceptions import ClientError

from model_runner.aws.service_errors import aws_call, error_code

_NOT_THERE = {"404", "NoSuchKey", "NotFound"}


def split_s3_url(url: str) -> tuple[str, str]:
    """(bucket, key) of ``s3://bucket/key``.

    Raises:
        ValueError: not an s3:// URL with a key.
    """
    bucket, _, key = url.removeprefix("s3://").partition("/")
    if not url.startswith("s3://") or not bucket or not key:
        raise ValueError(f"not an s3://bucket/key URL: {url!r}")
    return bucket, key


class AsyncObjects:
    """Input, output and failure objects, through an injected boto3 S3 client."""

    def __init__(self, client: Any, bucket: str, prefix: str) -> None:
        self._client = client
        self.bucket = bucket
        self.prefix = prefix

    def put_input(self, key: str, body: bytes, content_type: str) -> str:
        """Put one tile under the input prefix; returns its s3:// URL."""
        full_key = f"{self.prefix}{key}"
        with aws_call(f"put tile s3://{self.bucket}/{full_key}"):
            self._client.put_object(Bucket=self.bucket, Key=full_key, Body=body, ContentType=content_type)
        return f"s3://{self.bucket}/{full_key}"

    def exists(self, url: str) -> bool:
        """Whether the object at ``url`` is there yet."""
        bucket, key = split_s3_url(url)
        with aws_call(f"look for {url}"):
            try:
                self._client.head_object(Bucket=bucket, Key=key)
            except ClientError as error:
                if error_code(error) in _NOT_THERE:
                    return False
                raise
        return True

    def read(self, url: str) -> bytes:
        """The content of the object at ``url``."""
        bucket, key = split_s3_url(url)
        with aws_call(f"read {url}"):
            return bytes(self._client.get_object(Bucket=bucket, Key=key)["Body"].read())

    def delete(self, urls: Iterable[str]) -> None:
        """Remove the objects at ``urls`` (missing ones are no error)."""
        by_bucket: dict[str, list[str]] = defaultdict(list)
        for url in urls:
            bucket, key = split_s3_url(url)
            by_bucket[bucket].append(key)
        for bucket, keys in by_bucket.items():
            for start in range(0, len(keys), 1000):
                batch = [{"Key": key} for key in keys[start : start + 1000]]
                with aws_call(f"delete asynchronous inference objects in s3://{bucket}"):
                    self._client.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
