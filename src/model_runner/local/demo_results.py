"""The demo's results on disk: each image's FeatureCollection, read back from where the worker
wrote it (an S3 object, or the records of a Kinesis stream), and a preview picture beside it."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from model_runner.local.aws import AwsEndpoint
from model_runner.tools.command_error import CommandError
from model_runner.tools.preview import write_preview

_UNSAFE = re.compile(r"[^A-Za-z0-9._=+-]")
PREVIEW_SIZE = 1024


def save_results(
    endpoint: AwsEndpoint,
    job_id: str,
    images: Sequence[dict[str, Any]],
    files: Sequence[Path | None],
    folder: Path,
) -> None:
    """Write ``folder/<jobId>.geojson`` (``<jobId>-<image>.geojson`` for each of several images)
    and a ``.png`` preview beside each; records ``file`` and ``preview`` in each image's summary."""
    used: set[str] = set()
    for image, file in zip(images, files, strict=True):
        features = _features(endpoint, job_id, image["outputs"])
        if features is None:
            continue
        name = _UNSAFE.sub("_", job_id)
        if len(images) > 1:
            stem = _UNSAFE.sub("_", Path(image["image"]).stem) or "image"
            name = f"{name}-{stem}"
            while name in used:
                name += "_"
        used.add(name)
        target = folder / f"{name}.geojson"
        target.write_text(json.dumps(features))
        image["file"] = str(target)
        if file is not None:
            try:
                write_preview(str(file), features, target.with_suffix(".png"), PREVIEW_SIZE)
            except CommandError as error:
                print(f"model-runner demo: no preview for {file}: {error}", file=sys.stderr)
            else:
                image["preview"] = str(target.with_suffix(".png"))


def _features(endpoint: AwsEndpoint, job_id: str, outputs: Sequence[str]) -> dict[str, Any] | None:
    """The image's FeatureCollection from its first S3 output, else from its Kinesis stream."""
    for location in outputs:
        if location.startswith("s3://"):
            bucket, _, key = location.removeprefix("s3://").partition("/")
            body = endpoint.boto3_client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
            collection: dict[str, Any] = json.loads(body)
            return collection
    for stream in outputs:
        return {"type": "FeatureCollection", "features": _stream_features(endpoint, stream, job_id)}
    return None


def _stream_features(endpoint: AwsEndpoint, stream: str, job_id: str) -> list[dict[str, Any]]:
    """The features of ``job_id`` among a Kinesis stream's records (one feature per record)."""
    kinesis = endpoint.boto3_client("kinesis")
    found = []
    for shard in kinesis.list_shards(StreamName=stream)["Shards"]:
        iterator: str | None = kinesis.get_shard_iterator(
            StreamName=stream, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            answer = kinesis.get_records(ShardIterator=iterator, Limit=10000)
            for record in answer["Records"]:
                feature = json.loads(record["Data"])
                if feature.get("properties", {}).get("inferenceMetadata", {}).get("jobId") == job_id:
                    found.append(feature)
            if not answer["Records"]:
                break
            iterator = answer.get("NextShardIterator")
    return found
