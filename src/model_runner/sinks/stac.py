"""The STAC sink: each image's features as a GeoJSON object, and a STAC Item describing them.

The FeatureCollection is written exactly as the S3 sink writes it (same key rules, multipart when
large); the Item goes beside it, ``{name}.item.json``. The Item (made with pystac) has the
processed area's geometry and bbox, the processing time as its datetime, the features as its
``labels`` asset, a ``source`` link to the image, and the label extension: vector labels, the
property holding the classes (``featureClasses``, whose ``iri`` values are the classes), the
classes found and their counts. Both keys depend only on the request, so a redelivery overwrites.
"""

from __future__ import annotations

import json
import warnings
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pystac
from botocore.exceptions import BotoCoreError, ClientError

from model_runner.sinks.base import Feature, ImageMetadata, SinkReport, SinkUnavailableError
from model_runner.sinks.s3 import S3Sink, s3_write_error

with warnings.catch_warnings():
    # pystac flags the label extension as unmaintained; it is still how STAC describes labels.
    warnings.simplefilter("ignore", DeprecationWarning)
    from pystac.extensions.label import LabelClasses, LabelCount, LabelExtension, LabelOverview, LabelType

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

CLASS_PROPERTY = "featureClasses"
ITEM_SUFFIX = ".item.json"
MEDIA_TYPES = {
    ".tif": pystac.MediaType.GEOTIFF,
    ".tiff": pystac.MediaType.GEOTIFF,
    ".ntf": "application/vnd.nitf",
}


class StacSink:
    """Writes each image's FeatureCollection and its STAC Item in ``bucket`` under ``prefix``."""

    def __init__(self, client: S3Client, bucket: str, prefix: str = "") -> None:
        self._client = client
        self._bucket = bucket
        self._features = S3Sink(client, bucket, prefix)

    @property
    def description(self) -> str:
        """The sink, for people and logs."""
        return f"STAC in S3 bucket {self._bucket!r}"

    def write(
        self,
        job_id: str,
        image_id: str,
        features: Sequence[Feature],
        *,
        metadata: ImageMetadata | None = None,
    ) -> SinkReport:
        """Write the FeatureCollection, then the Item that points to it.

        Raises:
            SinkError: S3 refused a write; names bucket and key.
        """
        written = self._features.write(job_id, image_id, features, metadata=metadata)
        labels_key = written.location.removeprefix(f"s3://{self._bucket}/")
        item_key = labels_key.removesuffix(".geojson") + ITEM_SUFFIX
        item = stac_item(job_id, image_id, features, metadata or ImageMetadata(), written.location)
        body = json.dumps(item.to_dict(include_self_link=False)).encode()
        try:
            self._client.put_object(
                Bucket=self._bucket, Key=item_key, Body=body, ContentType="application/json"
            )
        except ClientError as error:
            raise s3_write_error(error, self._bucket, item_key) from error
        except BotoCoreError as error:
            raise SinkUnavailableError(f"S3 s3://{self._bucket}/{item_key}: {error}") from error
        return SinkReport(self.description, len(features), f"s3://{self._bucket}/{item_key}")


def stac_item(
    job_id: str, image_id: str, features: Sequence[Feature], metadata: ImageMetadata, labels_href: str
) -> pystac.Item:
    """The STAC Item of one image's features (see the module docstring)."""
    geometry, bbox = _extent(features, metadata.footprint)
    when = datetime.fromisoformat(metadata.inference_time) if metadata.inference_time else datetime.now(UTC)
    item = pystac.Item(
        id=image_id,
        geometry=dict(geometry) if geometry else None,
        bbox=list(bbox) if bbox else None,
        datetime=when,
        properties={"model_runner:job_id": job_id},
    )
    item.add_asset(
        "labels",
        pystac.Asset(
            href=labels_href,
            media_type=pystac.MediaType.GEOJSON,
            roles=["labels", "labels-vector"],
            title=f"{len(features)} detected features",
        ),
    )
    if metadata.source_url:
        suffix = "." + metadata.source_url.rsplit(".", 1)[-1].lower() if "." in metadata.source_url else ""
        item.add_link(
            pystac.Link(
                "source", metadata.source_url, media_type=MEDIA_TYPES.get(suffix), title="source image"
            )
        )
    counts = Counter(_classes(features))
    label = LabelExtension.ext(item, add_if_missing=True)
    label.apply(
        label_description=f"objects detected in image {image_id} by model-runner job {job_id}",
        label_type=LabelType.VECTOR,
        label_properties=[CLASS_PROPERTY],
        label_classes=[LabelClasses.create(classes=sorted(counts), name=CLASS_PROPERTY)],
        label_tasks=["detection"],
        label_methods=["automated"],
        label_overviews=[
            LabelOverview.create(
                property_key=CLASS_PROPERTY,
                counts=[LabelCount.create(name=name, count=count) for name, count in sorted(counts.items())],
            )
        ],
    )
    return item


def _classes(features: Sequence[Feature]) -> list[str]:
    """Every class IRI of every feature."""
    return [
        str(item["iri"])
        for feature in features
        for item in (feature.get("properties") or {}).get(CLASS_PROPERTY) or []
        if isinstance(item, Mapping) and "iri" in item
    ]


def _extent(
    features: Sequence[Feature], footprint: Mapping[str, Any] | None
) -> tuple[Mapping[str, Any] | None, tuple[float, float, float, float] | None]:
    """The processed area's geometry and bbox; without a footprint, the features' bounds."""
    if footprint is not None:
        import shapely.geometry

        return footprint, tuple(shapely.geometry.shape(footprint).bounds)
    boxes = [feature["bbox"] for feature in features if feature.get("bbox")]
    if not boxes:
        return None, None
    # A bbox is [west, south, east, north], or with heights [west, south, low, east, north, high].
    west, south = min(box[0] for box in boxes), min(box[1] for box in boxes)
    east, north = max(box[len(box) // 2] for box in boxes), max(box[len(box) // 2 + 1] for box in boxes)
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}, (west, south, east, north)
