"""The region status table: one row per region of an image, keyed (image_id, region_id).

A region's terminal status is written once (conditional on the row not being terminal yet), so a
redelivered region message that finds its region finished only re-reports the recorded outcome.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from model_runner.aws.service_errors import ConditionFailedError, aws_call
from model_runner.resources import TTL_ATTRIBUTE
from model_runner.status import RegionRecord, Status
from model_runner.status.records import MAX_FAILURES_KEPT


class RegionTable:
    """The region status table, through an injected boto3 DynamoDB client."""

    def __init__(self, client: Any, table_name: str, ttl_days: int) -> None:
        self._client = client
        self.table_name = table_name
        self._ttl_s = ttl_days * 24 * 3600

    def start_region(self, image_id: str, region_id: str) -> RegionRecord:
        """Mark the region in progress, unless it already finished; returns the row as it is now."""
        now = time.time()
        try:
            with aws_call(f"start region {region_id} in {self.table_name}"):
                answer = self._client.update_item(
                    TableName=self.table_name,
                    Key=_key(image_id, region_id),
                    UpdateExpression="SET #status = :in_progress, "
                    f"started_at = if_not_exists(started_at, :now), {TTL_ATTRIBUTE} = :expires",
                    ConditionExpression="attribute_not_exists(#status) OR NOT #status IN (:s, :p, :f)",
                    ExpressionAttributeNames={"#status": "status"},
                    ExpressionAttributeValues={
                        ":in_progress": {"S": Status.IN_PROGRESS.value},
                        ":now": {"N": f"{now:.3f}"},
                        ":expires": {"N": str(int(now + self._ttl_s))},
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
    ) -> tuple[RegionRecord, bool]:
        """Record the region's outcome once; returns the row (the earlier outcome on redelivery)
        and whether this call recorded it, so only that caller reports the outcome."""
        try:
            with aws_call(f"finish region {region_id} in {self.table_name}"):
                answer = self._client.update_item(
                    TableName=self.table_name,
                    Key=_key(image_id, region_id),
                    UpdateExpression="SET #status = :status, total_tiles = :total, failed_tiles = :failed, "
                    "failures = :failures, finished_at = :now",
                    ConditionExpression="attribute_exists(#status) AND NOT #status IN (:s, :p, :f)",
                    ExpressionAttributeNames={"#status": "status"},
                    ExpressionAttributeValues={
                        ":status": {"S": status.value},
                        ":total": {"N": str(total_tiles)},
                        ":failed": {"N": str(failed_tiles)},
                        ":failures": {"L": [{"S": reason} for reason in failures[:MAX_FAILURES_KEPT]]},
                        ":now": {"N": f"{time.time():.3f}"},
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


def _record(item: Mapping[str, Any]) -> RegionRecord:
    return RegionRecord(
        image_id=item["image_id"]["S"],
        region_id=item["region_id"]["S"],
        status=Status(item["status"]["S"]),
        started_at=float(item.get("started_at", {}).get("N", "0")),
        total_tiles=int(item.get("total_tiles", {}).get("N", "0")),
        failed_tiles=int(item.get("failed_tiles", {}).get("N", "0")),
        failures=tuple(entry["S"] for entry in item.get("failures", {}).get("L", [])),
    )
