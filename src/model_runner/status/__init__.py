"""Job, image and region status: the values, the rules that derive them, and the events."""

from model_runner.status.events import StatusEvent
from model_runner.status.records import ImageDetails, ImageRecord, RegionDetails, RegionRecord, TileBounds
from model_runner.status.rules import Status, image_status, region_status

__all__ = [
    "ImageDetails",
    "ImageRecord",
    "RegionDetails",
    "RegionRecord",
    "Status",
    "StatusEvent",
    "TileBounds",
    "image_status",
    "region_status",
]
