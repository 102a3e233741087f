"""The ImageRequest message a user puts on the image queue."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, model_validator

from model_runner.api.ids import MAX_IMAGE_ID_BYTES, image_id_for
from model_runner.api.job_options import JobOptions
from model_runner.api.wire import keyed_error, non_empty


def _check_image_url(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    if value[:5].casefold() == "s3://":
        parts = urlsplit(value)
        if not parts.netloc or not parts.path.strip("/"):
            raise ValueError(f"an S3 URL must name a bucket and a key: s3://bucket/key (got {value!r})")
    return value


ImageUrl = Annotated[str, AfterValidator(_check_image_url)]
"""Where an image is: s3://bucket/key, or any path GDAL can open."""


def legacy_warnings(body: Mapping[str, Any]) -> list[str]:
    """Warnings for legacy keys that are ignored because their current form is also given."""
    warnings = []
    if "imageUrl" in body and "imageUrls" in body:
        warnings.append("imageUrl: ignored because imageUrls is given")
    for key in ("outputBucket", "outputPrefix"):
        if key in body and "outputs" in body:
            warnings.append(f"{key}: ignored because outputs is given")
    return warnings


class ImageRequest(JobOptions):
    """A job: one or more images, the model to run on their tiles, and where features go."""

    legacy_keys = ("imageUrl", "outputBucket", "outputPrefix")

    job_name: str | None = None
    image_urls: Annotated[tuple[ImageUrl, ...], non_empty("image URL")]

    @model_validator(mode="before")
    @classmethod
    def _resolve_legacy_keys(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        resolved = dict(data)
        if "imageUrls" not in resolved and "image_urls" not in resolved and "imageUrl" in resolved:
            url = resolved["imageUrl"]
            resolved["imageUrls"] = [url] if isinstance(url, str) else url
        if "outputs" not in resolved and "outputPrefix" in resolved and "outputBucket" not in resolved:
            raise keyed_error("outputBucket", "required with outputPrefix (or give outputs instead)")
        if "outputs" not in resolved and "outputBucket" in resolved:
            resolved["outputs"] = [
                {
                    "type": "S3",
                    "bucket": resolved.get("outputBucket"),
                    "prefix": resolved.get("outputPrefix") or "",
                }
            ]
        return resolved

    @model_validator(mode="after")
    def _check_distinct_urls(self) -> ImageRequest:
        seen: dict[str, int] = {}
        for index, url in enumerate(self.image_urls):
            if url in seen:
                raise keyed_error(f"imageUrls[{index}]", f"repeats imageUrls[{seen[url]}] ({url!r})")
            seen[url] = index
        return self

    def digest(self) -> str:
        """A short fingerprint of every value of the request: a resubmission of its jobId with
        other values has another one."""
        canonical = json.dumps(self.model_dump(mode="json", by_alias=True), sort_keys=True)
        return hashlib.sha256(canonical.encode("utf-8", errors="surrogatepass")).hexdigest()[:16]

    @model_validator(mode="after")
    def _check_image_ids(self) -> ImageRequest:
        job_bytes = len(self.job_id.encode("utf-8", errors="replace"))
        for index, url in enumerate(self.image_urls):
            size = len(image_id_for(self.job_id, url).encode("utf-8", errors="replace"))
            if size > MAX_IMAGE_ID_BYTES:
                long_job = job_bytes > MAX_IMAGE_ID_BYTES // 2
                raise keyed_error(
                    "jobId" if long_job else f"imageUrls[{index}]",
                    f"the image id (jobId:imageUrl) would be {size} bytes, more than the "
                    f"{MAX_IMAGE_ID_BYTES} a status table key holds: use a shorter "
                    + ("jobId" if long_job else "image URL"),
                )
        return self
