"""Job, image and region status: the values, the rules that derive them, and the events."""

from model_runner.status.events import StatusEvent
from model_runner.status.rules import Status, image_status, region_status

__all__ = ["Status", "StatusEvent", "image_status", "region_status"]
