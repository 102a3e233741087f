"""``model-runner preview``: a job's features over a downsampled picture of its image, as a PNG.

The picture is read from the image's overviews (or resampled by GDAL) straight to its final size,
so memory follows the picture, never the image, however large. Images and FeatureCollections may
be local files or ``s3://`` objects (read with the worker's settings and credentials).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO

from model_runner.errors import ImageReadError
from model_runner.imagery import open_image
from model_runner.imagery.gdal_runtime import limit_block_cache
from model_runner.tools.aws_access import aws_clients, calling, split_s3_url
from model_runner.tools.command_error import CommandError
from model_runner.tools.picture import Drawing, draw_features, to_rgb

MIN_SIZE, MAX_SIZE = 64, 8192
BLOCK_CACHE_MB = 64


def run_preview(
    image: str, features: str, output: Path | None, size: int, environ: Mapping[str, str], out: TextIO
) -> int:
    """Write the preview PNG and say what it shows; 0 when written.

    Raises:
        CommandError: a missing or unreadable image or FeatureCollection, a bad size or output.
    """
    if not MIN_SIZE <= size <= MAX_SIZE:
        raise CommandError(f"--size {size}: give a picture size between {MIN_SIZE} and {MAX_SIZE} pixels")
    # Beside a local FeatureCollection; in the current folder for an S3 one.
    target = output or (
        Path(Path(features).name if features.startswith("s3://") else features).with_suffix(".png")
    )
    collection = _load_features(features, environ)
    drawing = write_preview(image, collection, target, size, environ)
    classes = ", ".join(f"{name} {count}" for name, count in drawing.classes.most_common())
    skipped = f"; {drawing.skipped} without pixel geometry" if drawing.skipped else ""
    print(f"wrote {target}: {drawing.drawn} features ({classes or 'none'}){skipped}", file=out)
    return 0


def write_preview(
    image: str,
    collection: Mapping[str, Any],
    target: Path,
    size: int,
    environ: Mapping[str, str] | None = None,
) -> Drawing:
    """Draw ``collection``'s features over ``image`` into the PNG ``target``, ``size`` pixels on
    its longest side (never more than the image).

    Raises:
        CommandError: the image cannot be opened, Pillow is missing, the PNG cannot be written.
    """
    try:
        from PIL import Image
    except ImportError:
        raise CommandError("the preview needs Pillow: pip install 'osml-model-runner-ng[tools]'") from None
    # GDAL's block cache would otherwise grow to 5% of the machine's memory on a huge image.
    limit_block_cache(BLOCK_CACHE_MB)
    source = _open(image, environ or {})
    try:
        factor = max(source.width, source.height) / size
        width = max(1, round(source.width / max(factor, 1.0)))
        height = max(1, round(source.height / max(factor, 1.0)))
        bands = [1, 2, 3] if source.band_count >= 3 else [1]
        pixels = source.read_overview(width, height, bands)
        scale = (width / source.width, height / source.height)
    except ImageReadError as error:
        raise CommandError(f"{error}") from None
    finally:
        source.close()
    picture = Image.fromarray(to_rgb(pixels), mode="RGB")
    features = collection.get("features") or []
    drawing = draw_features(picture, [item for item in features if isinstance(item, dict)], scale)
    try:
        picture.save(target, format="PNG")
    except OSError as error:
        raise CommandError(
            f"cannot write {target}: {error.strerror or error}; choose another --output"
        ) from None
    return drawing


def _open(image: str, environ: Mapping[str, str]) -> Any:
    """The image, opened for reading (S3 objects with the environment's credentials)."""
    if not image.startswith("s3://"):
        path = Path(image)
        if path.is_dir() or not path.exists():
            raise CommandError(f"{image}: no such image file; give a local path or s3://bucket/key")
    try:
        if image.startswith("s3://"):
            _, clients = aws_clients(environ)
            with calling(f"credentials for {image}"):
                credentials = clients.credentials()
            return open_image(image, credentials=credentials, s3_endpoint=clients.endpoint_url)
        return open_image(image)
    except ImageReadError as error:
        raise CommandError(str(error)) from None


def _load_features(location: str, environ: Mapping[str, str]) -> dict[str, Any]:
    """The FeatureCollection at a local path or s3:// URL."""
    if location.startswith("s3://"):
        bucket, key = split_s3_url(location)
        _, clients = aws_clients(environ)
        with calling(f"read {location}"):
            text: bytes | str = clients.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    else:
        path = Path(location)
        if path.is_dir() or not path.exists():
            raise CommandError(f"{location}: no such file; give a GeoJSON FeatureCollection file")
        text = path.read_bytes()
    try:
        collection = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CommandError(f"{location}: not JSON ({error}); give a GeoJSON FeatureCollection") from None
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
        raise CommandError(f"{location}: not a GeoJSON FeatureCollection")
    return collection
