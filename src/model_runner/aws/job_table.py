"""The image (job) status table: one row per image of a job, with the reference's attributes.

The attributes the reference's job table has keep its names and units, so tools that read that
table work on this one: ``start_time`` and ``end_time`` in epoch milliseconds, ``expire_time`` in
epoch seconds, ``processing_duration`` in whole seconds, ``region_count``, ``region_success`` and
``region_error`` (a region with any failed tile counts as an error, as there), and the request's
``model_name``, ``model_invoke_mode``, ``tile_size`` ("(1024, 1024)"), ``outputs`` (JSON), ...
This worker adds ``status``, ``job_name``, ``message`` and the sets of counted regions.

Every state change is a conditional write, so at-least-once delivery never counts a region twice
and an image gets exactly one terminal status:

* ``start_image`` creates the row only if it does not exist (a redelivered request finds it);
* ``record_region`` adds the region id to a string set only if it is not in it yet, and answers
  whether this call counted it; the same write claims the image's completion for the caller
  (``completion_owner`` until ``completion_expires``), so whoever counts the last region holds it;
* ``claim_completion`` takes the claim over only when it ran out (or renews the holder's);
* ``finish_image`` sets the terminal status only if none is set; only the caller whose write
  succeeded publishes the terminal event.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from botocore.exceptions import ClientError

from model_runner.aws.service_errors import (
    ConditionFailedError,
    all_pages,
    aws_call,
    error_code,
)
from model_runner.errors import ModelRunnerError
from model_runner.resources import JOB_INDEX, TTL_ATTRIBUTE
from model_runner.status import ImageDetails, ImageRecord, Status

_OUTCOME_SETS = {
    Status.SUCCESS: "regions_succeeded",
    Status.PARTIAL: "regions_partial",
    Status.FAILED: "regions_failed",
}


class JobTable:
    """The image status table, through an injected boto3 DynamoDB client."""

    def __init__(
        self, client: Any, table_name: str, ttl_days: int, clock: Callable[[], float] = time.time
    ) -> None:
        self._client = client
        self.table_name = table_name
        self._ttl_s = ttl_days * 24 * 3600
        self._clock = clock

    def start_image(
        self,
        *,
        image_id: str,
        job_id: str,
        job_name: str | None,
        image_url: str,
        region_count: int,
        details: ImageDetails | None = None,
        request_digest: str = "",
    ) -> tuple[ImageRecord, bool]:
        """Create the image's row; returns the row and whether this call created it."""
        now = self._clock()
        item: dict[str, Any] = {
            "image_id": {"S": image_id},
            "job_id": {"S": job_id},
            "image_url": {"S": image_url},
            "status": {"S": Status.STARTED.value},
            "region_count": {"N": str(region_count)},
            "region_success": {"N": "0"},
            "region_error": {"N": "0"},
            "start_time": {"N": str(int(now * 1000))},
            "processing_duration": {"N": "0"},
            TTL_ATTRIBUTE: {"N": str(int(now + self._ttl_s))},
        }
        if job_name:
            item["job_name"] = {"S": job_name}
        if details is not None:
            item.update(_detail_attributes(details))
        if request_digest:
            item["request_digest"] = {"S": request_digest}
        try:
            with aws_call(f"create image {image_id} in {self.table_name}"):
                self._client.put_item(
                    TableName=self.table_name,
                    Item=item,
                    ConditionExpression="attribute_not_exists(image_id)",
                )
        except ConditionFailedError:
            return self.get(image_id), False
        return _record(item), True

    def record_region(
        self, image_id: str, region_id: str, outcome: Status, *, claimant: str, lease_s: float
    ) -> tuple[ImageRecord, bool]:
        """Count a region's outcome once, claiming the completion for ``claimant``; returns the row
        and whether this call counted it."""
        try:
            with aws_call(f"record region {region_id} of {image_id} in {self.table_name}"):
                answer = self._update(
                    image_id,
                    expression=f"ADD regions_done :region, {_OUTCOME_SETS[outcome]} :region, "
                    f"{'region_success' if outcome is Status.SUCCESS else 'region_error'} :one "
                    "SET #status = if_not_exists(terminal_status, :in_progress), "
                    "completion_owner = :owner, completion_expires = :expires",
                    condition="attribute_exists(image_id) AND NOT contains(regions_done, :id)",
                    values={
                        ":region": {"SS": [region_id]},
                        ":id": {"S": region_id},
                        ":in_progress": {"S": Status.IN_PROGRESS.value},
                        ":one": {"N": "1"},
                        **self._claim_values(claimant, lease_s),
                    },
                )
        except ConditionFailedError:
            return self.get(image_id), False
        return _record(answer["Attributes"]), True

    def claim_completion(self, image_id: str, claimant: str, lease_s: float) -> bool:
        """Claim or renew the completion of an image with no terminal status; whether it is held."""
        try:
            with aws_call(f"claim the completion of {image_id} in {self.table_name}"):
                self._update(
                    image_id,
                    expression="SET completion_owner = :owner, completion_expires = :expires",
                    condition="attribute_exists(image_id) AND attribute_not_exists(terminal_status) AND "
                    "(attribute_not_exists(completion_owner) OR completion_owner = :owner "
                    "OR completion_expires < :now)",
                    values={**self._claim_values(claimant, lease_s), ":now": {"N": f"{self._clock():.3f}"}},
                )
        except ConditionFailedError:
            return False
        return True

    def _claim_values(self, claimant: str, lease_s: float) -> dict[str, Any]:
        return {":owner": {"S": claimant}, ":expires": {"N": f"{self._clock() + lease_s:.3f}"}}

    def finish_image(self, image_id: str, status: Status, message: str) -> bool:
        """Set the image's terminal status; False when another call already set one."""
        now = self._clock()
        try:
            started = self.get(image_id).started_at  # read first: the terminal write stays the last
        except KeyError:
            return False
        try:
            with aws_call(f"finish image {image_id} in {self.table_name}"):
                self._update(
                    image_id,
                    expression="SET #status = :status, terminal_status = :status, message = :message, "
                    "end_time = :now, processing_duration = :seconds",
                    condition="attribute_exists(image_id) AND attribute_not_exists(terminal_status)",
                    values={
                        ":status": {"S": status.value},
                        ":message": {"S": message},
                        ":now": {"N": str(int(now * 1000))},
                        ":seconds": {"N": str(int(now - started))},
                    },
                )
        except ConditionFailedError:
            return False
        return True

    def get(self, image_id: str) -> ImageRecord:
        """The row of ``image_id`` (read consistently)."""
        with aws_call(f"read image {image_id} from {self.table_name}"):
            answer = self._client.get_item(
                TableName=self.table_name, Key={"image_id": {"S": image_id}}, ConsistentRead=True
            )
        if "Item" not in answer:
            raise KeyError(f"image {image_id} is not in {self.table_name}")
        return _record(answer["Item"])

    def images_of(self, job_id: str) -> list[ImageRecord]:
        """Every image row of a job, in the order they started: a Query of the job index, for
        operators' tools (``model-runner status``). A table made without the index (the reference's
        own) is scanned instead, filtered by job."""
        query: dict[str, Any] = {
            "TableName": self.table_name,
            "IndexName": JOB_INDEX.name,
            "KeyConditionExpression": "job_id = :job",
            "ExpressionAttributeValues": {":job": {"S": job_id}},
        }
        what = f"find the images of job {job_id} in {self.table_name}"
        try:
            pages = list(all_pages(self._client.query, query, what))
        except ModelRunnerError as error:
            if not _is_missing_index(error):
                raise
            del query["IndexName"], query["KeyConditionExpression"]
            pages = list(all_pages(self._client.scan, {**query, "FilterExpression": "job_id = :job"}, what))
        records = [_record(item) for page in pages for item in page.get("Items", [])]
        return sorted(records, key=lambda record: record.started_at)

    def _update(
        self, image_id: str, *, expression: str, condition: str, values: dict[str, Any]
    ) -> dict[str, Any]:
        names = {"#status": "status"} if "#status" in expression + condition else None
        answer: dict[str, Any] = self._client.update_item(
            TableName=self.table_name,
            Key={"image_id": {"S": image_id}},
            UpdateExpression=expression,
            ConditionExpression=condition,
            ExpressionAttributeValues=values,
            ReturnValues="ALL_NEW",
            **({"ExpressionAttributeNames": names} if names else {}),
        )
        return answer


def _record(item: Mapping[str, Any]) -> ImageRecord:
    def strings(name: str) -> frozenset[str]:
        return frozenset(item.get(name, {}).get("SS", []))

    outcomes = {region: status for status, name in _OUTCOME_SETS.items() for region in strings(name)}
    return ImageRecord(
        image_id=item["image_id"]["S"],
        job_id=item["job_id"]["S"],
        job_name=item.get("job_name", {}).get("S"),
        image_url=item["image_url"]["S"],
        status=Status(item["status"]["S"]),
        region_count=int(item["region_count"]["N"]),
        regions_done=strings("regions_done"),
        region_outcomes=outcomes,
        started_at=int(item["start_time"]["N"]) / 1000,
        message=item.get("message", {}).get("S", ""),
        request_digest=item.get("request_digest", {}).get("S", ""),
    )


def _detail_attributes(details: ImageDetails) -> dict[str, Any]:
    """The reference's descriptive job attributes, in its types (tile sizes as "(w, h)" text)."""
    values: dict[str, str | int | None] = {
        "model_name": details.model_name,
        "model_invoke_mode": details.model_invoke_mode,
        "image_read_role": details.image_read_role,
        "tile_size": f"({details.tile_size}, {details.tile_size})",
        "tile_overlap": f"({details.tile_overlap}, {details.tile_overlap})",
        "outputs": details.outputs,
        "feature_properties": details.feature_properties,
        "feature_distillation_option": details.feature_distillation_option,
        "roi_wkt": details.roi_wkt,
        "width": details.width,
        "height": details.height,
        "extents": details.extents,
    }
    return {
        name: {"N": str(value)} if isinstance(value, int) else {"S": value}
        for name, value in values.items()
        if value is not None
    }


def _is_missing_index(error: ModelRunnerError) -> bool:
    """Whether DynamoDB refused a Query because the table has no such index (ValidationException
    from DynamoDB, ResourceNotFoundException from moto)."""
    cause = error.__cause__
    return (
        isinstance(cause, ClientError)
        and error_code(cause) in {"ValidationException", "ResourceNotFoundException"}
        and "index" in cause.response.get("Error", {}).get("Message", "").lower()
    )
