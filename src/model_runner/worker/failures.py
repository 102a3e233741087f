"""Recording the images a message is about FAILED, whatever handler or hook raised.

Used when processing a message failed for good: an error that is the request's fault escaped the
handler, or processing kept failing until MAX_RECEIVES. Every image the message names ends FAILED
with the reason (conditionally: an image that already has a terminal status keeps it).
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import ValidationError

from model_runner.api import RegionRequest, image_id_for, request_identity
from model_runner.handlers.image_completion import ImageCompletion

NO_READABLE_URL = "(no readable imageUrls)"


class MessageFailures:
    """Fails the images of image and region messages."""

    def __init__(self, completion: ImageCompletion) -> None:
        self._completion = completion

    def fail_images(self, job_id: str, job_name: str | None, image_urls: Sequence[str], reason: str) -> None:
        """Record each image FAILED with ``reason``."""
        for image_url in image_urls or [NO_READABLE_URL]:
            self._completion.fail(
                job_id=job_id,
                job_name=job_name,
                image_id=image_id_for(job_id, image_url),
                image_url=image_url,
                reason=reason,
            )

    def fail_image_request(self, body: str, reason: str, job_id: str | None = None) -> bool:
        """Fail every image an image message names, as far as it can be read; False when it names
        no job (nothing can be recorded)."""
        found_job, urls = request_identity(body)
        job_id = job_id or found_job
        if job_id is None:
            return False
        self.fail_images(job_id, None, urls, reason)
        return True

    def fail_region_request(self, body: str, reason: str) -> bool:
        """Fail the image of a region message; False when it is not a region message."""
        try:
            request = RegionRequest.model_validate_json(body)
        except ValidationError:
            return False
        self.fail_images(
            request.job_id, request.job_name, [request.image_url], f"region {request.region_id}: {reason}"
        )
        return True
