"""The S3 sink: one GeoJSON FeatureCollection object per image, streamed in parts when large.

Object key: ``{prefix}/{job}/{name}.geojson``. ``job`` is the job id as it is when it only holds
letters, digits and ``._=+-`` (at most 120 of them); otherwise those characters with every other
one replaced by ``_``, shortened, then ``~`` and the first 12 hex digits of the SHA-256 of the job
id (``ports:2026`` gives ``ports_2026~5eda0ac8087e``). ``name`` is the image id made readable the
same way (it always holds a ``:``, so it always ends with the image id's digest), or, when the
image URL is given, its file stem followed by the image id's digest. A segment without ``~`` is
exactly its id, and one with ``~`` names its id by digest, so two jobs (or two images of a job)
never share an object. The prefix loses leading, trailing and repeated slashes (an empty prefix puts
the job folder at the bucket root). The key depends only on the request, so a redelivered message
overwrites the object it wrote before.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterator
from itertools import chain
from pathlib import PurePosixPath
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from botocore.exceptions import BotoCoreError, ClientError

from model_runner.ordered_ahead import ordered_ahead
from model_runner.sinks.base import FeatureSource, ImageMetadata, SinkError, SinkReport, SinkUnavailableError
from model_runner.sinks.geojson import feature_collection_parts

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

_LOG = logging.getLogger(__name__)

MIB = 1024 * 1024
MIN_PART_SIZE = 5 * MIB
"""S3's smallest part of a multipart upload (all but the last)."""
PARTS_IN_FLIGHT = 3
"""Parts of a multipart upload going up at once (each at most a part's size held)."""
CONTENT_TYPE = "application/geo+json"
_UNSAFE = re.compile(r"[^A-Za-z0-9._=+-]")
MAX_SEGMENT_CHARS = 120
DIGEST_CHARS = 12


def object_key(prefix: str, job_id: str, image_id: str, image_url: str | None = None) -> str:
    """The key of an image's FeatureCollection (see the module docstring)."""
    stem = PurePosixPath(urlparse(image_url).path).stem if image_url else ""
    folders = [part for part in prefix.split("/") if part]
    return "/".join([*folders, _segment(job_id, job_id), f"{_segment(stem or image_id, image_id)}.geojson"])


def _segment(readable: str, identity: str) -> str:
    """``readable`` as a key segment that no other ``identity`` can share (see the module docstring)."""
    safe = _UNSAFE.sub("_", readable)[:MAX_SEGMENT_CHARS]
    if safe == identity:
        return safe
    digest = hashlib.sha256(identity.encode("utf-8", errors="surrogatepass")).hexdigest()[:DIGEST_CHARS]
    return f"{safe}~{digest}"


class S3Sink:
    """Writes each image's features as one GeoJSON object in ``bucket`` under ``prefix``.

    Output smaller than ``part_size`` is one PutObject; larger output is a multipart upload of
    parts of at least ``part_size``, streamed from the feature source (up to :data:`PARTS_IN_FLIGHT`
    going up at once) and aborted if anything fails, so memory stays near that many parts (and one
    chunk of the source).
    """

    def __init__(self, client: S3Client, bucket: str, prefix: str = "", part_size: int = 8 * MIB) -> None:
        if part_size < MIN_PART_SIZE:
            raise ValueError(f"part_size must be at least {MIN_PART_SIZE} bytes (S3's minimum)")
        self._client = client
        self._bucket = bucket
        self._prefix = prefix
        self._part_size = part_size

    @property
    def description(self) -> str:
        """The sink, for people and logs."""
        return f"S3 bucket {self._bucket!r}"

    def write(
        self,
        job_id: str,
        image_id: str,
        features: FeatureSource,
        *,
        metadata: ImageMetadata | None = None,
    ) -> SinkReport:
        """Write (or overwrite) the image's FeatureCollection object.

        Raises:
            SinkError: S3 refused the write; names bucket and key.
        """
        key = object_key(self._prefix, job_id, image_id, metadata.image_url if metadata else None)
        chunks = feature_collection_parts(features.chunks(), self._part_size)
        try:
            first = next(chunks)
            second = next(chunks, None)
            if second is None:
                self._client.put_object(Bucket=self._bucket, Key=key, Body=first, ContentType=CONTENT_TYPE)
            else:
                self._upload_parts(key, chain((first, second), chunks))
        except ClientError as error:
            raise s3_write_error(error, self._bucket, key) from error
        except BotoCoreError as error:
            raise SinkUnavailableError(f"S3 s3://{self._bucket}/{key}: {error}") from error
        return SinkReport(self.description, features.count, f"s3://{self._bucket}/{key}")

    def _upload_parts(self, key: str, parts: Iterator[bytes]) -> None:
        """A multipart upload of ``parts``, up to :data:`PARTS_IN_FLIGHT` of them going up at once
        while the next is made (in order: a part is made only when one of those is done)."""
        upload_id = self._client.create_multipart_upload(
            Bucket=self._bucket, Key=key, ContentType=CONTENT_TYPE
        )["UploadId"]
        try:
            numbered = enumerate(parts, start=1)
            etags = list(
                ordered_ahead(
                    numbered, lambda part: self._upload_part(key, upload_id, *part), PARTS_IN_FLIGHT
                )
            )
            self._client.complete_multipart_upload(
                Bucket=self._bucket,
                Key=key,
                UploadId=upload_id,
                MultipartUpload={
                    "Parts": [{"ETag": etag, "PartNumber": number} for number, etag in enumerate(etags, 1)]
                },
            )
        except BaseException:
            self._abort(key, upload_id)
            raise

    def _upload_part(self, key: str, upload_id: str, number: int, body: bytes) -> str:
        return self._client.upload_part(
            Bucket=self._bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=body
        )["ETag"]

    def _abort(self, key: str, upload_id: str) -> None:
        try:
            self._client.abort_multipart_upload(Bucket=self._bucket, Key=key, UploadId=upload_id)
        except (ClientError, BotoCoreError):
            _LOG.warning("could not abort multipart upload %s of s3://%s/%s", upload_id, self._bucket, key)


def s3_write_error(error: ClientError, bucket: str, key: str) -> SinkError:
    """The sink error of a refused S3 write: the request's fault, or (5xx, throttling)
    SinkUnavailableError."""
    details = error.response.get("Error", {})
    code = details.get("Code", "Unknown")
    if code == "NoSuchBucket":
        return SinkError(f"S3 bucket {bucket!r} does not exist", code=code)
    if code in ("AccessDenied", "403"):
        return SinkError(f"S3 bucket {bucket!r}: access denied writing {key!r} ({code})", code=code)
    message = details.get("Message", "no message")
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    kind = SinkUnavailableError if status >= 500 or code in ("SlowDown", "RequestTimeout") else SinkError
    return kind(f"S3 s3://{bucket}/{key}: {message} ({code})", code=code)
