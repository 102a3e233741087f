"""Detections in pixel space: tile-to-image bookkeeping and distillation (NMS, Soft-NMS).

Pure numpy, no I/O. Geolocation of the resulting features lives in :mod:`model_runner.imagery`.
"""

from model_runner.features.detected_feature import DetectedFeature
from model_runner.features.detection_batch import DetectionBatch
from model_runner.features.distillation import Algorithm, DistillationOptions, distill
from model_runner.features.errors import InvalidFeatureError
from model_runner.features.nms import nms
from model_runner.features.pixel_feature import FeatureClass, PixelFeature
from model_runner.features.pixel_geometry import Box, Geometry, geometry_bounds, translate_geometry
from model_runner.features.soft_nms import soft_nms

__all__ = [
    "Algorithm",
    "Box",
    "DetectedFeature",
    "DetectionBatch",
    "DistillationOptions",
    "FeatureClass",
    "Geometry",
    "InvalidFeatureError",
    "PixelFeature",
    "distill",
    "geometry_bounds",
    "nms",
    "soft_nms",
    "translate_geometry",
]
