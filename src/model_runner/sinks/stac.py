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
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pystac
from botocore.exceptions import BotoCoreError, ClientError

from model_runner.features.encoded_features import EncodedFeatures
from model_runner.sinks.base import FeatureSource, ImageMetadata, SinkReport, SinkUnavailableError
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
        features: FeatureSource,
        *,
        metadata: ImageMetadata | None = None,
    ) -> SinkReport:
        """Write the FeatureCollection, then the Item that points to it.

        Raises:
            SinkError: S3 refused a write; names bucket and key.
        """
        measured = MeasuredFeatures(features)
        written = self._features.write(job_id, image_id, measured, metadata=metadata)
        labels_key = written.location.removeprefix(f"s3://{self._bucket}/")
        item_key = labels_key.removesuffix(".geojson") + ITEM_SUFFIX
        item = stac_item(job_id, image_id, measured, metadata or ImageMetadata(), written.location)
        body = json.dumps(item.to_dict(include_self_link=False)).encode()
        try:
            self._client.put_object(
                Bucket=self._bucket, Key=item_key, Body=body, ContentType="application/json"
            )
        except ClientError as error:
            raise s3_write_error(error, self._bucket, item_key) from error
        except BotoCoreError as error:
            raise SinkUnavailableError(f"S3 s3://{self._bucket}/{item_key}: {error}") from error
        return SinkReport(self.description, features.count, f"s3://{self._bucket}/{item_key}")


class MeasuredFeatures:
    """A feature source that keeps the extent of the features' bboxes as they stream by."""

    def __init__(self, source: FeatureSource) -> None:
        self._source = source
        self.extent: tuple[float, float, float, float] | None = None

    @property
    def count(self) -> int:
        return self._source.count

    @property
    def class_counts(self) -> Mapping[str, int]:
        return self._source.class_counts

    def chunks(self) -> Iterator[EncodedFeatures]:
        for chunk in self._source.chunks():
            found = chunk.extent
            if found is not None:
                known = self.extent or found
                self.extent = (
                    min(known[0], found[0]),
                    min(known[1], found[1]),
                    max(known[2], found[2]),
                    max(known[3], found[3]),
                )
            yield chunk


def stac_item(
    job_id: str, image_id: str, features: MeasuredFeatures, metadata: ImageMetadata, labels_href: str
) -> pystac.Item:
    """The STAC Item of one image's features (see the module docstring), once they were written."""
    geometry, bbox = _extent(features.extent, metadata.footprint)
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
            title=f"{features.count} detected features",
        ),
    )
    if metadata.source_url:
        suffix = "." + metadata.source_url.rsplit(".", 1)[-1].lower() if "." in metadata.source_url else ""
        item.add_link(
            pystac.Link(
                "source", metadata.source_url, media_type=MEDIA_TYPES.get(suffix), title="source image"
            )
        )
    counts = {name: count for name, count in features.class_counts.items() if count > 0}
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


def _extent(
    extent: tuple[float, float, float, float] | None, footprint: Mapping[str, Any] | None
) -> tuple[Mapping[str, Any] | None, tuple[float, float, float, float] | None]:
    """The processed area's geometry and bbox; without a footprint, the features' extent."""
    if footprint is not None:
        import shapely.geometry

        return footprint, tuple(shapely.geometry.shape(footprint).bounds)
    if extent is None:
        return None, None
    west, south, east, north = extent
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}, extent
