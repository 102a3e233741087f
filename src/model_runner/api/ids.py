"""The id of one image of a job, and how long it may be.

The image id is ``"{job_id}:{image_url}"``: readable in logs and tables, and unique within a job
because a request's image URLs are distinct. It is the job table's partition key, which DynamoDB
caps at 2048 bytes, so a request whose ids would be longer is refused at intake.
"""

from __future__ import annotations

MAX_IMAGE_ID_BYTES = 2048
"""DynamoDB's limit on a partition key value (UTF-8 bytes)."""


def image_id_for(job_id: str, image_url: str) -> str:
    """The id of one image of a job."""
    return f"{job_id}:{image_url}"


def image_id_fits(image_id: str) -> bool:
    """Whether ``image_id`` can key a status row."""
    return len(image_id.encode("utf-8", errors="replace")) <= MAX_IMAGE_ID_BYTES
