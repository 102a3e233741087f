"""A request made runnable on the local stack: its local images uploaded, its outputs created.

The worker reads images from the stack's S3 bucket through /vsis3, as it would in AWS. An image is
uploaded with every file GDAL needs to open it (``GetFileList``: a VRT's sources, a NITF's or
GeoTIFF's sidecars, RPC files), keeping their relative layout, so it opens there as it does here
(an image with sidecars through a VRT beside it that carries their metadata).
The buckets and streams that the request's outputs name are created when missing.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError
from osgeo import gdal

from model_runner.imagery.gdal_runtime import thread_config_option
from model_runner.local.aws import AwsEndpoint
from model_runner.tools.command_error import CommandError

IMAGES_BUCKET = "mr-images"


def image_files(path: Path) -> list[Path]:
    """``path`` and every other file GDAL reads to open it (``GetFileList``).

    Raises:
        CommandError: the path is missing, a folder, or not an image GDAL can open.
    """
    if path.is_dir():
        raise CommandError(f"{path} is a folder: give an image file (GeoTIFF, NITF, VRT, ...)")
    if not path.exists():
        raise CommandError(f"{path}: no such file; give an image file (GeoTIFF, NITF, VRT, ...)")
    gdal.UseExceptions()
    try:
        with sidecars_found():
            dataset = gdal.Open(str(path))
    except RuntimeError as error:
        raise CommandError(f"{path}: not an image GDAL can open ({error})") from None
    listed = [Path(name) for name in dataset.GetFileList() or []]
    files = [path.resolve(), *(name.resolve() for name in listed if name.resolve() != path.resolve())]
    missing = [str(name) for name in files if not name.is_file()]
    if missing:
        raise CommandError(f"{path}: GDAL needs files that are not there: {', '.join(missing)}")
    return files


def sidecars_found() -> AbstractContextManager[None]:
    """GDAL looking for an image's sidecar files (.RPB, .aux.xml, ...) on the user's own disk, in
    this thread: the worker itself never lists folders (see gdal_hardening)."""
    return thread_config_option("GDAL_DISABLE_READDIR_ON_OPEN", "FALSE")


def upload_image(endpoint: AwsEndpoint, path: Path, bucket: str = IMAGES_BUCKET) -> str:
    """Put the image and the files it needs under one new prefix of ``bucket``, keeping their
    layout relative to each other; returns the s3:// URL the worker should read.

    The worker opens S3 images without looking for sidecar files, so an image whose metadata
    comes from sidecars (an .RPB's RPCs, an .aux.xml) is read through a VRT uploaded beside it,
    which carries that metadata and reads the image's pixels.
    """
    files = image_files(path)
    root = Path(os.path.commonpath([file.parent for file in files]))
    prefix = f"local/{uuid.uuid4().hex[:8]}"
    s3 = endpoint.boto3_client("s3")
    for file in files:
        s3.upload_file(str(file), bucket, f"{prefix}/{file.relative_to(root).as_posix()}")
    key = f"{prefix}/{files[0].relative_to(root).as_posix()}"
    if len(files) > 1 and gdal.Open(str(path)).GetDriver().ShortName != "VRT":
        key += ".vrt"
        s3.put_object(Bucket=bucket, Key=key, Body=_wrapping_vrt(files[0]))
    return f"s3://{bucket}/{key}"


def _wrapping_vrt(image: Path) -> bytes:
    """A VRT of ``image`` with its metadata (sidecars' included), reading it from beside itself."""
    memory = f"/vsimem/{uuid.uuid4().hex}.vrt"
    with sidecars_found():
        gdal.Translate(memory, str(image), format="VRT")
    try:
        handle = gdal.VSIFOpenL(memory, "rb")
        text = gdal.VSIFReadL(1, gdal.VSIStatL(memory).size, handle).decode()
        gdal.VSIFCloseL(handle)
    finally:
        gdal.Unlink(memory)
    absolute = f'<SourceFilename relativeToVRT="0">{image}</SourceFilename>'
    relative = f'<SourceFilename relativeToVRT="1">{image.name}</SourceFilename>'
    return str(text).replace(absolute, relative).encode()


def local_images(body: Mapping[str, Any], base: Path) -> list[Path | None]:
    """The local file of each of the request's ``imageUrls`` (None for an s3:// or other URL),
    each checked to be an image GDAL opens; relative paths start at ``base``.

    Raises:
        CommandError: an image path is missing, a folder, or not an image.
    """
    urls = body.get("imageUrls")
    found: list[Path | None] = []
    for index, url in enumerate(urls if isinstance(urls, list) else []):
        if not isinstance(url, str) or "://" in url:
            found.append(None)
            continue
        path = base / url
        if not path.exists():
            raise CommandError(f"imageUrls[{index}]: no file {path} (relative paths start at {base})")
        image_files(path)
        found.append(path)
    return found


def upload_images(endpoint: AwsEndpoint, body: Mapping[str, Any], files: list[Path | None]) -> dict[str, Any]:
    """``body`` with each local image (``files``, as :func:`local_images` gives them) uploaded and
    its ``imageUrls`` entry replaced by the s3:// URL; URLs stay as they are."""
    urls = list(body.get("imageUrls") or [])
    return {
        **body,
        "imageUrls": [
            upload_image(endpoint, file) if file else url for url, file in zip(urls, files, strict=True)
        ],
    }


def create_outputs(endpoint: AwsEndpoint, body: Mapping[str, Any]) -> None:
    """Create the buckets and Kinesis streams that the request's outputs name, when missing."""
    outputs = body.get("outputs")
    named = [item for item in outputs if isinstance(item, dict)] if isinstance(outputs, list) else []
    if isinstance(body.get("outputBucket"), str):
        named.append({"bucket": body["outputBucket"]})
    s3, kinesis = endpoint.boto3_client("s3"), endpoint.boto3_client("kinesis")
    for output in named:
        if isinstance(output.get("bucket"), str):
            try:
                s3.create_bucket(Bucket=output["bucket"])
            except ClientError as error:
                if "BucketAlready" not in str(error.response.get("Error", {}).get("Code", "")):
                    raise CommandError(
                        f"outputs: cannot create bucket {output['bucket']!r}: {error}"
                    ) from None
        if isinstance(output.get("stream"), str):
            stream = output["stream"]
            try:
                kinesis.create_stream(StreamName=stream, ShardCount=1)
            except kinesis.exceptions.ResourceInUseException:
                continue
            except ClientError as error:
                raise CommandError(f"outputs: cannot create stream {stream!r}: {error}") from None
            kinesis.get_waiter("stream_exists").wait(
                StreamName=stream, WaiterConfig={"Delay": 1, "MaxAttempts": 30}
            )
