"""The observer that publishes image and region status to SNS (osml-compat section 3)."""

from __future__ import annotations

from typing import Protocol

from model_runner.events import (
    CapacityWait,
    JobCompleted,
    JobFailed,
    JobStarted,
    LifecycleEvent,
    RegionCompleted,
    RequestIgnored,
)
from model_runner.status.events import StatusEvent
from model_runner.status.rules import Status


class StatusSink(Protocol):
    """Where status events go (an SNS topic adapter)."""

    def publish(self, event: StatusEvent) -> None: ...


class StatusPublisher:
    """Turns lifecycle events into status events on the image and region topics.

    An image gets STARTED when accepted and then exactly one terminal status, because the handlers
    emit JobCompleted or JobFailed only after winning the conditional terminal write.
    """

    def __init__(self, image_topic: StatusSink | None, region_topic: StatusSink | None) -> None:
        self._image_topic = image_topic
        self._region_topic = region_topic

    def on_event(self, event: LifecycleEvent) -> None:
        """Publish the status change ``event`` stands for, if any."""
        status = _status_event(event)
        if status is None:
            return
        topic = self._image_topic if status.region_id is None else self._region_topic
        if topic is not None:
            topic.publish(status)


def _status_event(event: LifecycleEvent) -> StatusEvent | None:
    match event:
        case JobStarted():
            return StatusEvent(
                status=Status.STARTED,
                job_id=event.job_id,
                image_id=event.image_id,
                processing_duration_s=0.0,
                message=f"image {event.image_url} accepted: {event.region_count} regions",
                job_name=event.job_name,
            )
        case RegionCompleted():
            return StatusEvent(
                status=event.status,
                job_id=event.job_id,
                image_id=event.image_id,
                region_id=event.region_id,
                processing_duration_s=event.duration_s,
                message=_region_message(event),
                total_tiles=event.total_tiles,
                failed_tiles=event.failed_tiles,
            )
        case JobCompleted():
            return StatusEvent(
                status=event.status,
                job_id=event.job_id,
                image_id=event.image_id,
                processing_duration_s=event.duration_s,
                message=event.message,
                job_name=event.job_name,
            )
        case JobFailed() | RequestIgnored():
            return StatusEvent(
                status=event.status,
                job_id=event.job_id,
                image_id=event.image_id,
                processing_duration_s=event.duration_s,
                message=event.reason,
                job_name=event.job_name,
            )
        case CapacityWait():
            return StatusEvent(
                status=Status.IN_PROGRESS,
                job_id=event.job_id,
                image_id=event.image_id,
                processing_duration_s=0.0,
                message=f"waiting for capacity of model endpoint {event.endpoint}: {event.used} of "
                f"{event.target} concurrent calls in use",
            )
        case _:
            return None


def _region_message(event: RegionCompleted) -> str:
    text = f"region {event.region_id}: {event.failed_tiles} of {event.total_tiles} tiles failed"
    if event.failures:
        text += "; " + "; ".join(event.failures[:3])
    return text
