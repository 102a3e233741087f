"""The region status table: one row per region of an image, keyed (image_id, region_id).

The attributes the reference's region table has keep its names and units: ``region_status``,
``start_time``, ``last_updated_time`` and ``end_time`` in epoch milliseconds, ``expire_time`` in
epoch seconds, ``processing_duration`` in milliseconds, ``total_tiles``, ``failed_tile_count``,
``succeeded_tile_count``, ``failed_tiles`` (each failed tile as [[row, column], [width, height]]),
``message``, ``job_id``, ``region_bounds``, ``tile_size``, ... This worker adds ``failures`` (the
reasons tiles failed).

A region's terminal status is written once (conditional on the row not being terminal yet), so a
redelivered region message that finds its region finished only re-reports the recorded outcome.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from model_runner.aws.service_errors import ConditionFailedError, aws_call
from model_runner.resources import TTL_ATTRIBUTE
from model_runner.status import RegionDetails, RegionRecord, Status, TileBounds
from model_runner.status.records import MAX_FAILURES_KEPT


class RegionTable:
    """The region status table, through an injected boto3 DynamoDB client."""

    def __init__(self, client: Any, table_name: str, ttl_days: int) -> None:
        self._client = client
        self.table_name = table_name
        self._ttl_s = ttl_days * 24 * 3600

    def start_region(
        self, image_id: str, region_id: str, details: RegionDetails | None = None
    ) -> RegionRecord:
        """Mark the region in progress, unless it already finished; returns the row as it is now."""
        now = time.time()
        described = _detail_values(details)
        try:
            with aws_call(f"start region {region_id} in {self.table_name}"):
                answer = self._client.update_item(
                    TableName=self.table_name,
                    Key=_key(image_id, region_id),
                    UpdateExpression="SET #status = :in_progress, "
                    "start_time = if_not_exists(start_time, :now), last_updated_time = :now, "
                    f"{TTL_ATTRIBUTE} = :expires" + "".join(f", {name} = :{name}" for name in described),
                    ConditionExpression="attribute_not_exists(#status) OR NOT #status IN (:s, :p, :f)",
                    ExpressionAttributeNames={"#status": "region_status"},
                    ExpressionAttributeValues={
                        ":in_progress": {"S": Status.IN_PROGRESS.value},
                        ":now": {"N": str(int(now * 1000))},
                        ":expires": {"N": str(int(now + self._ttl_s))},
                        **{f":{name}": value for name, value in described.items()},
                        **_terminal_values(),
                    },
                    ReturnValues="ALL_NEW",
                )
        except ConditionFailedError:
            return self.get(image_id, region_id)
        return _record(answer["Attributes"])

    def finish_region(
        self,
        image_id: str,
        region_id: str,
        status: Status,
        *,
        total_tiles: int,
        failed_tiles: int,
        failures: Sequence[str],
        failed_tile_bounds: Sequence[TileBounds] = (),
    ) -> tuple[RegionRecord, bool]:
        """Record the region's outcome once; returns the row (the earlier outcome on redelivery)
        and whether this call recorded it, so only that caller reports the outcome."""
        now_ms = int(time.time() * 1000)
        started_ms = int(self.get(image_id, region_id).started_at * 1000)  # read first: one write
        try:
            with aws_call(f"finish region {region_id} in {self.table_name}"):
                answer = self._client.update_item(
                    TableName=self.table_name,
                    Key=_key(image_id, region_id),
                    UpdateExpression="SET #status = :status, total_tiles = :total, "
                    "failed_tile_count = :failed, succeeded_tile_count = :succeeded, "
                    "failed_tiles = :bounds, failures = :failures, message = :message, "
                    "end_time = :now, last_updated_time = :now, processing_duration = :ms",
                    ConditionExpression="attribute_exists(#status) AND NOT #status IN (:s, :p, :f)",
                    ExpressionAttributeNames={"#status": "region_status"},
                    ExpressionAttributeValues={
                        ":status": {"S": status.value},
                        ":total": {"N": str(total_tiles)},
                        ":failed": {"N": str(failed_tiles)},
                        ":succeeded": {"N": str(total_tiles - failed_tiles)},
                        ":bounds": {"L": [_bounds_value(bounds) for bounds in failed_tile_bounds]},
                        ":failures": {"L": [{"S": reason} for reason in failures[:MAX_FAILURES_KEPT]]},
                        ":message": {
                            "S": "; ".join(failures[:MAX_FAILURES_KEPT]) or "Completed region processing"
                        },
                        ":now": {"N": str(now_ms)},
                        ":ms": {"N": str(now_ms - started_ms)},
                        **_terminal_values(),
                    },
                    ReturnValues="ALL_NEW",
                )
        except ConditionFailedError:
            return self.get(image_id, region_id), False
        return _record(answer["Attributes"]), True

    def get(self, image_id: str, region_id: str) -> RegionRecord:
        """The row of one region (read consistently)."""
        with aws_call(f"read region {region_id} from {self.table_name}"):
            answer = self._client.get_item(
                TableName=self.table_name, Key=_key(image_id, region_id), ConsistentRead=True
            )
        if "Item" not in answer:
            raise KeyError(f"region {region_id} of {image_id} is not in {self.table_name}")
        return _record(answer["Item"])

    def regions_of(self, image_id: str) -> list[RegionRecord]:
        """Every region row of an image."""
        records: list[RegionRecord] = []
        query: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "image_id = :image",
            "ExpressionAttributeValues": {":image": {"S": image_id}},
            "ConsistentRead": True,
        }
        while True:
            with aws_call(f"list regions of {image_id} in {self.table_name}"):
                answer = self._client.query(**query)
            records.extend(_record(item) for item in answer.get("Items", []))
            if "LastEvaluatedKey" not in answer:
                return records
            query["ExclusiveStartKey"] = answer["LastEvaluatedKey"]


def _key(image_id: str, region_id: str) -> dict[str, Any]:
    return {"image_id": {"S": image_id}, "region_id": {"S": region_id}}


def _terminal_values() -> dict[str, Any]:
    return {
        ":s": {"S": Status.SUCCESS.value},
        ":p": {"S": Status.PARTIAL.value},
        ":f": {"S": Status.FAILED.value},
    }


def _bounds_value(bounds: TileBounds) -> dict[str, Any]:
    return {"L": [{"L": [{"N": str(number)} for number in pair]} for pair in bounds]}


def _detail_values(details: RegionDetails | None) -> dict[str, Any]:
    """The reference's descriptive region attributes, in its types."""
    if details is None:
        return {}
    values: dict[str, Any] = {
        "job_id": {"S": details.job_id},
        "region_bounds": _bounds_value(details.region_bounds),
        "tile_size": {"L": [{"N": str(details.tile_size)}] * 2},
        "tile_overlap": {"L": [{"N": str(details.tile_overlap)}] * 2},
        "tile_format": {"S": details.tile_format},
        "tile_compression": {"S": details.tile_compression},
    }
    if details.image_read_role:
        values["image_read_role"] = {"S": details.image_read_role}
    return values


def _record(item: Mapping[str, Any]) -> RegionRecord:
    return RegionRecord(
        image_id=item["image_id"]["S"],
        region_id=item["region_id"]["S"],
        status=Status(item["region_status"]["S"]),
        started_at=int(item.get("start_time", {}).get("N", "0")) / 1000,
        total_tiles=int(item.get("total_tiles", {}).get("N", "0")),
        failed_tiles=int(item.get("failed_tile_count", {}).get("N", "0")),
        failures=tuple(entry["S"] for entry in item.get("failures", {}).get("L", [])),
    )
