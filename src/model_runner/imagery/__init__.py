"""Images: opening once, reading and encoding tiles in memory, and geolocation."""

from model_runner.imagery.cache import ImageCache
from model_runner.imagery.credentials import S3Credentials
from model_runner.imagery.encoding import (
    TileEncodingError,
    UnsupportedEncodingError,
    check_encoding,
    encode_tile,
    encoding_problem,
)
from model_runner.imagery.geolocation import (
    PixelGeometryError,
    geolocate,
    processed_footprint,
    roi_to_pixel_polygon,
)
from model_runner.imagery.pixel_scaling import ValueRange
from model_runner.imagery.sensor_model import Georeferencing, SensorModel
from model_runner.imagery.source import ImageSource, PixelWindow, open_image
from model_runner.tiling.encodings import SUPPORTED_COMPRESSIONS, TileCompression, TileFormat, content_type

__all__ = [
    "SUPPORTED_COMPRESSIONS",
    "Georeferencing",
    "ImageCache",
    "ImageSource",
    "PixelGeometryError",
    "PixelWindow",
    "S3Credentials",
    "SensorModel",
    "TileCompression",
    "TileEncodingError",
    "TileFormat",
    "UnsupportedEncodingError",
    "ValueRange",
    "check_encoding",
    "content_type",
    "encode_tile",
    "encoding_problem",
    "geolocate",
    "open_image",
    "processed_footprint",
    "roi_to_pixel_polygon",
]
