"""Detections in pixel space: columns of a tile's, a region's or an image's detections,
distillation (NMS, Soft-NMS) and the output features written from them.

Pure numpy, no I/O. Geolocation of the resulting features lives in :mod:`model_runner.imagery`.
"""

from model_runner.features.detected_feature import DetectedFeature
from model_runner.features.distillation import Algorithm, DistillationOptions
from model_runner.features.errors import InvalidFeatureError
from model_runner.features.nms import nms
from model_runner.features.pixel_feature import FeatureClass, PixelFeature
from model_runner.features.pixel_geometry import Box, Geometry, geometry_bounds
from model_runner.features.soft_nms import soft_nms

__all__ = [
    "Algorithm",
    "Box",
    "DetectedFeature",
    "DistillationOptions",
    "FeatureClass",
    "Geometry",
    "InvalidFeatureError",
    "PixelFeature",
    "geometry_bounds",
    "nms",
    "soft_nms",
]
