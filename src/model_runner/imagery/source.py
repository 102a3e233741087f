"""Opening an image once and reading windows of it from several threads.

An :class:`ImageSource` owns one GDAL dataset for the life of the image on this worker; the
caller caches it across regions and closes it when the image is done. Local paths and
``s3://bucket/key`` URLs (read through ``/vsis3/``) are accepted; S3 credentials and endpoint
apply to that object's path only (see :mod:`model_runner.imagery.credentials`).
"""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Protocol

import numpy as np
from numpy.typing import NDArray
from osgeo import gdal, gdal_array

from model_runner.errors import ImageReadError, ImageUnavailableError, ModelRunnerError
from model_runner.imagery.credentials import PATH_OPTION_SCOPES, S3Credentials, s3_path_options
from model_runner.imagery.gdal_runtime import (
    captured_messages,
    thread_config_option,
    unreachable_reason,
    use_exceptions,
)
from model_runner.imagery.nitf_metadata import nitf_source_metadata
from model_runner.imagery.pixel_scaling import ValueRange
from model_runner.imagery.sensor_model import SensorModel


class PixelWindow(Protocol):
    """A rectangle of full-image pixels: ``x`` columns and ``y`` rows from the top-left corner."""

    @property
    def x(self) -> int: ...
    @property
    def y(self) -> int: ...
    @property
    def width(self) -> int: ...
    @property
    def height(self) -> int: ...


def gdal_path(url: str) -> str:
    """The path GDAL opens for ``url``: ``s3://bucket/key`` becomes ``/vsis3/bucket/key``."""
    if url.startswith("s3://"):
        bucket, _, key = url.removeprefix("s3://").partition("/")
        if not bucket or not key:
            raise ImageReadError(f"cannot open image {url}: an S3 URL needs a bucket and a key")
        return f"/vsis3/{bucket}/{key}"
    if "://" in url:
        raise ImageReadError(f"cannot open image {url}: only local paths and s3:// URLs are supported")
    return url


def open_image(
    url: str, *, credentials: S3Credentials | None = None, s3_endpoint: str | None = None
) -> ImageSource:
    """Open the raster at ``url`` once; ``credentials`` and ``s3_endpoint`` apply to S3 URLs only.

    Raises:
        ImageReadError: the image is missing, access is denied, or it is not a raster GDAL reads.
        ImageUnavailableError: the image could not be reached now (timeout, reset, S3 5xx).
    """
    use_exceptions()
    path = gdal_path(url)
    # Options are scoped to the object's folder: a VRT's sources and an image's sidecars live
    # beside it, while other folders and buckets keep their own credentials.
    prefix = path.rsplit("/", 1)[0] + "/" if path.startswith("/vsis3/") else None
    if prefix is not None:
        PATH_OPTION_SCOPES.acquire(prefix, s3_path_options(credentials, s3_endpoint))
    try:
        dataset = _open_dataset(path, url, remote=prefix is not None)
    except ModelRunnerError:
        if prefix is not None:
            PATH_OPTION_SCOPES.release(prefix)
        raise
    return ImageSource(url, dataset, prefix, s3_endpoint)


def _open_dataset(path: str, url: str, *, remote: bool) -> gdal.Dataset:
    """The dataset at ``path``; ImageUnavailableError when the object could not be reached."""
    with captured_messages() as messages:
        try:
            # On S3, treat the object's "folder" as empty: GDAL then neither lists it nor probes
            # sidecar files, whose paths the object's scoped credentials and endpoint do not cover.
            with thread_config_option("GDAL_DISABLE_READDIR_ON_OPEN", "EMPTY_DIR" if remote else "FALSE"):
                dataset = gdal.OpenEx(path, gdal.OF_RASTER | gdal.OF_READONLY)
            if dataset is None or dataset.RasterCount == 0:
                raise RuntimeError("not a raster image")
        except RuntimeError as error:
            reason = _open_failure_reason(path, str(error), remote=remote)
            if remote:  # GDAL remembers failed lookups: a retry must ask S3 again
                gdal.VSICurlPartialClearCache(path)
            unreachable = unreachable_reason(messages)
            if unreachable is not None:
                raise ImageUnavailableError(f"cannot reach image {url} now: {unreachable}") from None
            raise ImageReadError(f"cannot open image {url}: {reason}") from None
    return dataset


def _open_failure_reason(path: str, gdal_message: str, *, remote: bool) -> str:
    """Why ``path`` did not open. On S3, GDAL's own message is often about a sidecar or parent
    listing (which the object's scoped options do not cover), so the object is probed instead."""
    if not remote:
        return gdal_message
    if gdal.VSIStatL(path) is None:
        return "the object does not exist or cannot be read with the credentials given"
    return "the object is not a raster image GDAL can read"


class ImageSource:
    """One open image: its size and pixel type, thread-safe window reads, and its georeferencing."""

    def __init__(
        self, url: str, dataset: gdal.Dataset, options_prefix: str | None, s3_endpoint: str | None
    ) -> None:
        self.url = url
        self._dataset: gdal.Dataset | None = dataset
        self._options_prefix = options_prefix
        self._s3_endpoint = s3_endpoint
        self._lock = threading.Lock()
        self.width: int = dataset.RasterXSize
        self.height: int = dataset.RasterYSize
        self.band_count: int = dataset.RasterCount
        self.dtype: np.dtype[np.generic] = np.dtype(
            gdal_array.GDALTypeCodeToNumericTypeCode(dataset.GetRasterBand(1).DataType)
        )
        self.is_nitf: bool = dataset.GetDriver().ShortName == "NITF"
        self._value_range: ValueRange | None = None
        self._sensor_model: SensorModel | None = None

    def read(self, window: PixelWindow) -> NDArray[np.generic]:
        """All bands of ``window`` as an array of shape (bands, rows, columns).

        Raises:
            ValueError: the window is empty or reaches outside the image.
            ImageReadError: GDAL could not read the pixels (corrupt file, lost access).
            ImageUnavailableError: the image could not be reached now (timeout, reset, S3 5xx).
        """
        if window.width <= 0 or window.height <= 0 or window.x < 0 or window.y < 0:
            raise ValueError(f"window {window} is empty or starts outside the image")
        if window.x + window.width > self.width or window.y + window.height > self.height:
            raise ValueError(f"window {window} reaches outside the {self.width}x{self.height} image")
        out = np.empty((self.band_count, window.height, window.width), dtype=self.dtype)
        with captured_messages() as messages:
            try:
                with self._lock:
                    self._open_dataset().ReadAsArray(
                        window.x, window.y, window.width, window.height, buf_obj=out
                    )
            except RuntimeError as error:
                unreachable = unreachable_reason(messages)
                if unreachable is not None:
                    if self._options_prefix is not None:  # forget what the failed read cached
                        gdal.VSICurlPartialClearCache(gdal_path(self.url))
                    raise ImageUnavailableError(f"cannot reach image {self.url} now: {unreachable}") from None
                raise ImageReadError(f"cannot read {window} of image {self.url}: {error}") from None
        return out

    def value_range(self) -> ValueRange:
        """The image's pixel range for scaling tiles to 8 bits, computed once (approximately)."""
        with self._lock:
            if self._value_range is None:
                self._value_range = self._compute_value_range()
            return self._value_range

    def sensor_model(self) -> SensorModel:
        """The image's pixel <-> WGS84 model, built once.

        Raises:
            ImageReadError: the image has no usable georeferencing.
        """
        with self._lock:
            if self._sensor_model is None:
                self._sensor_model = SensorModel.from_dataset(self._open_dataset(), self.url)
            return self._sensor_model

    def source_metadata(self) -> dict[str, str] | None:
        """The ``sourceMetadata`` feature property of a NITF image; ``None`` for other formats."""
        if not self.is_nitf:
            return None
        with self._lock:
            metadata = self._open_dataset().GetMetadata() or {}
        return nitf_source_metadata(metadata, self.url)

    def renew_credentials(self, credentials: S3Credentials) -> None:
        """Use new credentials (e.g. a refreshed assumed role) for the rest of this image's reads."""
        if self._options_prefix is not None:
            PATH_OPTION_SCOPES.renew(self._options_prefix, s3_path_options(credentials, self._s3_endpoint))

    def close(self) -> None:
        """Close the dataset and clear the image's S3 options; later reads raise."""
        with self._lock:
            if self._dataset is None:
                return
            self._dataset = None
        if self._options_prefix is not None:
            PATH_OPTION_SCOPES.release(self._options_prefix)

    def __enter__(self) -> ImageSource:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _open_dataset(self) -> gdal.Dataset:
        if self._dataset is None:
            raise ImageReadError(f"image {self.url} is already closed")
        return self._dataset

    def _compute_value_range(self) -> ValueRange:
        if self.dtype == np.uint8:
            return ValueRange(0.0, 255.0)
        dataset = self._open_dataset()
        try:
            extremes = [
                dataset.GetRasterBand(index).ComputeRasterMinMax(True)
                for index in range(1, self.band_count + 1)
            ]
        except RuntimeError as error:
            raise ImageReadError(f"cannot compute the pixel range of image {self.url}: {error}") from None
        low = min(low for low, _ in extremes)
        high = max(high for _, high in extremes)
        return ValueRange(low, high if high > low else low + 1.0)
