"""Opening an image once and reading windows of it from several threads.

An :class:`ImageSource` owns one GDAL dataset for the life of the image on this worker; the
caller caches it across regions and closes it when the image is done. ``s3://bucket/key`` URLs
(read through ``/vsis3/``), ``https://`` URLs (``/vsicurl/``) and paths are opened; S3 credentials
and endpoint apply to the image's own files only (see :mod:`model_runner.imagery.credentials`),
which are checked before anything is read (:mod:`model_runner.imagery.file_references`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Protocol

import numpy as np
from numpy.typing import NDArray
from osgeo import gdal, gdal_array

from model_runner.errors import ImageReadError, ImageUnavailableError, ModelRunnerError
from model_runner.imagery.credentials import PATH_OPTION_SCOPES, S3Credentials, s3_path_options
from model_runner.imagery.elevation import ElevationModel
from model_runner.imagery.file_references import (
    ImageScopeError,
    ReadScope,
    UnreadableFileError,
    checked_files,
)
from model_runner.imagery.gdal_hardening import IMAGE_DRIVERS, harden_gdal
from model_runner.imagery.gdal_runtime import captured_messages, unreachable_reason, use_exceptions
from model_runner.imagery.nitf_metadata import nitf_source_metadata
from model_runner.imagery.pixel_scaling import ValueRange
from model_runner.imagery.sensor_model import SensorModel
from model_runner.imagery.strip_reads import NETWORK_PREFIXES, StripReads
from model_runner.security import display_url

OVERVIEW_AVERAGE_MAX_FACTOR = 16
"""Largest downsampling factor at which an overview averages pixels rather than sampling them."""


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
    """The path GDAL opens for ``url``: ``s3://bucket/key`` becomes ``/vsis3/bucket/key`` and
    ``https://host/key`` becomes ``/vsicurl/https://host/key``; other paths are taken as they are
    (which of them a request may name is decided at intake, see
    :class:`~model_runner.api.image_locations.ImageLocations`)."""
    scheme, separator, rest = url.partition("://")
    if not separator:
        return url
    if scheme.lower() == "s3":
        bucket, _, key = rest.partition("/")
        if not bucket or not key:
            raise ImageReadError(f"cannot open image {url}: an S3 URL needs a bucket and a key")
        return f"/vsis3/{bucket}/{key}"
    if scheme.lower() == "https":
        return f"/vsicurl/https://{rest}"
    raise ImageReadError(f"cannot open image {display_url(url)}: only s3:// and https:// URLs are supported")


def s3_prefix_path(prefix: str) -> str:
    """The GDAL path prefix of an ``s3://bucket[/key prefix]`` location (a bucket alone ends in /)."""
    bucket, slash, key = prefix.removeprefix("s3://").partition("/")
    return f"/vsis3/{bucket}/{key}" if slash else f"/vsis3/{bucket}/"


def open_image(
    url: str,
    *,
    credentials: S3Credentials | None = None,
    s3_endpoint: str | None = None,
    source_prefixes: tuple[str, ...] = (),
    elevation: ElevationModel | None = None,
    strips: int = 1,
    reads_at_once: int = 1,
) -> ImageSource:
    """Open the raster at ``url`` once; ``credentials`` and ``s3_endpoint`` apply to S3 URLs only;
    ``elevation`` is the terrain its sensor model uses; a network image's wide windows are read
    as up to ``strips`` strips at once, and up to ``reads_at_once`` windows at once
    (:mod:`~model_runner.imagery.strip_reads`).

    Every file GDAL will read (the image, a VRT's sources) is checked to lie in the image's own
    bucket, https host or folder, or under ``source_prefixes`` (``s3://bucket/prefix``), before
    anything is read from it; the credentials are scoped to exactly those files.

    Raises:
        ImageReadError: the image is missing, access is denied, it is not a raster GDAL reads, or
            it would read outside its locations (ImageScopeError).
        ImageUnavailableError: the image could not be reached now (timeout, reset, S3 5xx).
    """
    use_exceptions()
    harden_gdal()
    path = gdal_path(url)
    scope = ReadScope.of_image(path, tuple(s3_prefix_path(prefix) for prefix in source_prefixes))
    options = s3_path_options(credentials, s3_endpoint)
    scoped: list[str] = []

    def prepare(file: str) -> None:
        if file.startswith("/vsis3/"):
            PATH_OPTION_SCOPES.acquire(file, options)
            scoped.append(file)

    try:
        dataset, files = _open_checked(path, url, scope, prepare)
    except ModelRunnerError:
        for file in scoped:
            PATH_OPTION_SCOPES.release(file)
        raise
    source = ImageSource(url, dataset, tuple(scoped), s3_endpoint, files, elevation)
    if strips * reads_at_once > 1 and path.startswith(NETWORK_PREFIXES):

        def same_files(file: str) -> None:
            if file not in files:
                raise ImageScopeError(f"{file!r} was not among the image's files when it was opened")

        def open_more() -> gdal.Dataset:
            """A further handle, through the same checks, reading only the files checked at first."""
            return _open_checked(path, url, scope, same_files)[0]

        source.read_over_network(open_more, strips, reads_at_once)
    return source


def _open_checked(
    path: str, url: str, scope: ReadScope, prepare: Callable[[str], None]
) -> tuple[gdal.Dataset, list[str]]:
    """The dataset at ``path`` and the files it reads, checked first; ImageUnavailableError when
    the image could not be reached (no answer, reset, 5xx): a fault to retry, not a bad image."""
    with captured_messages() as messages:
        try:
            files = checked_files(path, scope, prepare)
            dataset = gdal.OpenEx(
                path, gdal.OF_RASTER | gdal.OF_READONLY, allowed_drivers=list(IMAGE_DRIVERS)
            )
            if dataset is None or dataset.RasterCount == 0:
                raise ImageReadError("the object is not a raster image GDAL can read")
            _check_file_list(dataset, scope)
        except (RuntimeError, ImageReadError) as error:
            kind = ImageScopeError if isinstance(error, ImageScopeError) else ImageReadError
            failure = kind(f"cannot open image {display_url(url)}: {_reason(path, error)}")
            if path.startswith(
                ("/vsis3/", "/vsicurl/")
            ):  # GDAL remembers failed lookups: ask again next time
                gdal.VSICurlPartialClearCache(path)
            unreachable = unreachable_reason(messages)
            if unreachable is not None and kind is ImageReadError:
                raise ImageUnavailableError(
                    f"cannot reach image {display_url(url)} now: {unreachable}"
                ) from None
            raise failure from None
    return dataset, files


def _check_file_list(dataset: gdal.Dataset, scope: ReadScope) -> None:
    """GDAL's own list of the dataset's files, checked again (a second line behind the VRT check)."""
    for file in dataset.GetFileList() or []:
        if not scope.covers(file):
            raise ImageScopeError(f"GDAL would read {file!r}, outside the locations this image may read")


def _reason(path: str, error: Exception) -> str:
    """Why ``path`` did not open. When the image itself could not be identified on S3, it is
    probed, since GDAL's own message is about the first thing it tried."""
    if isinstance(error, UnreadableFileError) and error.path == path:
        if not path.startswith(("/vsis3/", "/vsicurl/")):
            return "the file does not exist or is not an image GDAL can read"
        if gdal.VSIStatL(path) is None:
            return "the object does not exist or cannot be read with the credentials given"
        return "the object is not a raster image GDAL can read"
    return str(error)


class ImageSource:
    """One open image: its size and pixel type, thread-safe window reads, and its georeferencing."""

    def __init__(
        self,
        url: str,
        dataset: gdal.Dataset,
        scoped_paths: tuple[str, ...],
        s3_endpoint: str | None,
        files: list[str],
        elevation: ElevationModel | None = None,
    ) -> None:
        self.url = url
        self.files = tuple(files)
        """Every file GDAL reads for this image, checked before it was opened."""
        self._dataset: gdal.Dataset | None = dataset
        self._scoped_paths = scoped_paths
        self._s3_endpoint = s3_endpoint
        self._lock = threading.Lock()
        self.width: int = dataset.RasterXSize
        self.height: int = dataset.RasterYSize
        self.band_count: int = dataset.RasterCount
        self._block_width, self.block_height = dataset.GetRasterBand(1).GetBlockSize()
        self.reads_at_once = 1
        """Windows read at once: the lanes of a network image (:meth:`read_over_network`)."""
        self.dtype: np.dtype[np.generic] = np.dtype(
            gdal_array.GDALTypeCodeToNumericTypeCode(dataset.GetRasterBand(1).DataType)
        )
        self.format_name: str = dataset.GetDriver().ShortName.upper()
        """The image's format as GDAL names it (NITF, GTIFF, PNG, ...): the reference's InputFormat."""
        self.is_nitf: bool = self.format_name == "NITF"
        self._value_range: ValueRange | None = None
        self._elevation = elevation
        self._sensor_model: SensorModel | None = None
        self._sensor_model_built = False
        self._strips: StripReads | None = None

    def read_over_network(self, open_more: Callable[[], gdal.Dataset], strips: int, lanes: int) -> None:
        """Read wide windows as up to ``strips`` column strips at once, and up to ``lanes`` windows
        at once, on handles of their own that ``open_more`` opens when first needed."""
        self._strips = StripReads(open_more, strips, self._block_width, lanes)
        self.reads_at_once = lanes

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
        self._open_dataset()  # a closed image reads nothing, not even a strip
        out = np.empty((self.band_count, window.height, window.width), dtype=self.dtype)
        if self._strips is None:
            with self._lock:
                self._piece_reader(window, (window.x, window.width), out)(self._open_dataset())
            return out
        strips = self._strips
        with strips.lane() as lane:
            first, *rest = strips.pieces(window.x, window.width)
            others = [
                strips.submit(lane, index, self._piece_reader(window, piece, out))
                for index, piece in enumerate(rest, start=1)
            ]
            try:
                if lane == 0:  # the image's own dataset, shared with its other uses
                    with self._lock:
                        self._piece_reader(window, first, out)(self._open_dataset())
                else:
                    strips.run(lane, 0, self._piece_reader(window, first, out))
            finally:
                for strip in others:  # every strip waited for; the first failure raised
                    strip.result()
        return out

    def _piece_reader(
        self, window: PixelWindow, piece: tuple[int, int], out: NDArray[np.generic]
    ) -> Callable[[gdal.Dataset], None]:
        """What reads the columns ``piece`` (x, width) of ``window`` into their part of ``out``
        through a dataset, with GDAL's failures as our errors."""
        x, width = piece

        def read(dataset: gdal.Dataset) -> None:
            part = out[:, :, x - window.x : x - window.x + width]
            with captured_messages() as messages:
                try:
                    dataset.ReadAsArray(x, window.y, width, window.height, buf_obj=part)
                except RuntimeError as error:
                    unreachable = unreachable_reason(messages)
                    if unreachable is None:
                        raise ImageReadError(
                            f"cannot read {window} of image {display_url(self.url)}: {error}"
                        ) from None
                    for file in self.files:  # forget what the failed read cached: the retry asks again
                        gdal.VSICurlPartialClearCache(file)
                    raise ImageUnavailableError(
                        f"cannot reach image {display_url(self.url)} now: {unreachable}"
                    ) from None

        return read

    def read_overview(self, width: int, height: int, bands: Sequence[int]) -> NDArray[np.generic]:
        """Bands ``bands`` (1-based) of the whole image resampled to ``width`` x ``height`` (from
        the image's overviews when it has them), so memory follows the picture, not the image.

        Raises:
            ImageReadError: GDAL could not read the pixels.
        """
        out = np.empty((len(bands), height, width), dtype=self.dtype)
        factor = max(self.width / width, self.height / height)
        # Averaging reads every pixel; past this factor, sampling keeps a huge image quick to show.
        resampling = (
            gdal.GRIORA_Average if factor <= OVERVIEW_AVERAGE_MAX_FACTOR else gdal.GRIORA_NearestNeighbour
        )
        try:
            with self._lock:
                self._open_dataset().ReadAsArray(
                    buf_obj=out, resample_alg=resampling, band_list=[int(band) for band in bands]
                )
        except RuntimeError as error:
            raise ImageReadError(
                f"cannot read an overview of image {display_url(self.url)}: {error}"
            ) from None
        return out

    def value_range(self) -> ValueRange:
        """The image's pixel range for scaling tiles to 8 bits, computed once (approximately)."""
        with self._lock:
            if self._value_range is None:
                self._value_range = self._compute_value_range()
            return self._value_range

    def sensor_model(self) -> SensorModel | None:
        """The image's pixel <-> WGS84 model, built once; None for an image without georeferencing
        (its features stay in pixels, as the reference's do).

        Raises:
            ImageReadError: the image's georeferencing is incomplete or unusable.
        """
        with self._lock:
            if not self._sensor_model_built:
                self._sensor_model = SensorModel.from_dataset(self._open_dataset(), self.url, self._elevation)
                self._sensor_model_built = True
            return self._sensor_model

    def source_metadata(self) -> dict[str, str | None] | None:
        """The ``sourceMetadata`` feature property of a NITF image; ``None`` for other formats."""
        if not self.is_nitf:
            return None
        with self._lock:
            metadata = self._open_dataset().GetMetadata() or {}
        return nitf_source_metadata(metadata, self.url)

    def renew_credentials(self, credentials: S3Credentials) -> None:
        """Use new credentials (e.g. a refreshed assumed role) for the rest of this image's reads."""
        options = s3_path_options(credentials, self._s3_endpoint)
        for path in self._scoped_paths:
            PATH_OPTION_SCOPES.renew(path, options)

    def close(self) -> None:
        """Close the dataset and clear the image's S3 options; later reads raise."""
        with self._lock:
            if self._dataset is None:
                return
            self._dataset = None
        if self._strips is not None:
            self._strips.close()
        for path in self._scoped_paths:
            PATH_OPTION_SCOPES.release(path)

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
