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

    An image gets STARTED and IN_PROGRESS when accepted and then exactly one terminal status,
    because the handlers emit JobCompleted or JobFailed only after winning the conditional
    terminal write.
    """

    def __init__(self, image_topic: StatusSink | None, region_topic: StatusSink | None) -> None:
        self._image_topic = image_topic
        self._region_topic = region_topic

    def on_event(self, event: LifecycleEvent) -> None:
        """Publish the status changes ``event`` stands for, if any."""
        for status in _status_events(event):
            topic = self._image_topic if status.region_id is None else self._region_topic
            if topic is not None:
                topic.publish(status)


def _status_events(event: LifecycleEvent) -> list[StatusEvent]:
    match event:
        case JobStarted():
            # The reference reports STARTED on intake and IN_PROGRESS once the regions go out.
            return [
                StatusEvent(
                    status=status,
                    job_id=event.job_id,
                    image_id=event.image_id,
                    processing_duration_s=0.0,
                    message=message,
                    job_name=event.job_name,
                )
                for status, message in (
                    (Status.STARTED, f"image {event.image_url} accepted"),
                    (Status.IN_PROGRESS, f"processing {event.region_count} regions of {event.image_url}"),
                )
            ]
        case _:
            single = _status_event(event)
            return [] if single is None else [single]


def _status_event(event: LifecycleEvent) -> StatusEvent | None:
    match event:
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
                failed_tile_bounds=event.failed_tile_bounds,
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
